package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ssh mount's socket forwards whole conversations to the agent, and stops when closed. */
class SshAgentMountTest {

  @TempDir Path tmp;

  @Test
  void forwardsEachConnectionToTheAgent() throws Exception {
    Path agentPath = tmp.resolve("agent.sock");
    try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      agent.bind(UnixDomainSocketAddress.of(agentPath));
      Thread t =
          new Thread(
              () -> {
                try {
                  while (true) {
                    try (SocketChannel c = agent.accept()) {
                      ByteBuffer in = ByteBuffer.allocate(64);
                      c.read(in);
                      in.flip();
                      String req = StandardCharsets.UTF_8.decode(in).toString();
                      c.write(ByteBuffer.wrap(("re:" + req).getBytes(StandardCharsets.UTF_8)));
                    }
                  }
                } catch (Exception closed) {
                  // test over
                }
              });
      t.setDaemon(true);
      t.start();
      SshAgentMount mount = SshAgentMount.open(tmp.resolve("step.sock"), agentPath);
      try {
        for (String msg : new String[] {"one", "two"}) {
          try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(mount.socket()))) {
            c.write(ByteBuffer.wrap(msg.getBytes(StandardCharsets.UTF_8)));
            ByteBuffer answer = ByteBuffer.allocate(64);
            while (c.read(answer) >= 0) {
              // until the agent closes
            }
            answer.flip();
            assertThat(StandardCharsets.UTF_8.decode(answer).toString()).isEqualTo("re:" + msg);
          }
        }
      } finally {
        mount.close();
      }
      // closed: nobody listens any more
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> SocketChannel.open(UnixDomainSocketAddress.of(mount.socket())))
          .isInstanceOf(java.io.IOException.class);
    }
  }
}
