package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The plain-HTTP probe that spares a plain loopback registry any TLS setup. */
class TlsProbeTest {

  private static HttpServer answering(int status) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          ex.sendResponseHeaders(status, -1);
          ex.close();
        });
    server.start();
    return server;
  }

  @Test
  void aRegistryAnsweringPlainHttpIsPlainWithoutATlsHandshake() throws IOException {
    HttpServer server = answering(401);
    try {
      int port = server.getAddress().getPort();
      TlsProbe.Result r = TlsProbe.plainProbe("127.0.0.1", "127.0.0.1", port);
      assertThat(r).isNotNull();
      assertThat(r.outcome()).isEqualTo(TlsProbe.Outcome.PLAIN);
      assertThat(r.detail()).isEqualTo("HTTP/1.1 401");
      assertThat(TlsProbe.probe("127.0.0.1", port).outcome()).isEqualTo(TlsProbe.Outcome.PLAIN);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void a400MayBeATlsPortAndLeavesTheDecisionToTheHandshake() throws IOException {
    // what Go's and nginx's TLS servers answer to a plain request on their port
    HttpServer server = answering(400);
    try {
      int port = server.getAddress().getPort();
      assertThat(TlsProbe.plainProbe("127.0.0.1", "127.0.0.1", port)).isNull();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void nothingListeningIsUnreachable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    assertThat(TlsProbe.plainProbe("127.0.0.1", "127.0.0.1", port).outcome())
        .isEqualTo(TlsProbe.Outcome.UNREACHABLE);
  }
}
