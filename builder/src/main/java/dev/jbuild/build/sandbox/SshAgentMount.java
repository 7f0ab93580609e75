package dev.jbuild.build.sandbox;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The socket of an {@code RUN --mount=type=ssh}: a listening socket of the step that forwards
 * each connection to the SSH agent's socket, byte for byte, as BuildKit's ssh forwarding does
 * through its session (so the socket can have the owner and mode the mount asks for, which the
 * agent's own socket does not).
 */
final class SshAgentMount implements Closeable {
  private final Path socket;
  private final Path agent;
  private final ServerSocketChannel server;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  private Thread acceptor;

  private SshAgentMount(Path socket, Path agent, ServerSocketChannel server) {
    this.socket = socket;
    this.agent = agent;
    this.server = server;
  }

  /** Listens on {@code socket} and forwards to {@code agent} until closed. */
  static SshAgentMount open(Path socket, Path agent) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      server.close();
      throw new IOException("cannot listen on " + socket + " for the ssh agent: " + e.getMessage(), e);
    }
    SshAgentMount m = new SshAgentMount(socket, agent, server);
    Thread t = new Thread(m::accept, "ssh-agent " + socket.getParent().getFileName());
    t.setDaemon(true);
    m.acceptor = t;
    t.start();
    return m;
  }

  Path socket() {
    return socket;
  }

  private void accept() {
    while (!closed) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      open.add(client);
      SocketChannel upstream;
      try {
        upstream = SocketChannel.open(UnixDomainSocketAddress.of(agent));
      } catch (IOException e) {
        // the agent went away: the client sees a closed connection, as with a dead agent
        quietClose(client);
        continue;
      }
      open.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
    Thread t =
        new Thread(
            () -> {
              ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
              try {
                while (from.read(buf) >= 0) {
                  buf.flip();
                  while (buf.hasRemaining()) {
                    to.write(buf);
                  }
                  buf.clear();
                }
                to.shutdownOutput();
              } catch (IOException e) {
                quietClose(from);
                quietClose(to);
              }
            },
            "ssh-agent forward");
    t.setDaemon(true);
    t.start();
  }

  private void quietClose(SocketChannel c) {
    open.remove(c);
    try {
      c.close();
    } catch (IOException ignored) {
      // already broken
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    try {
      // the socket is really closed when the thread blocked in accept() has let go of it
      acceptor.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SocketChannel c : open) {
      quietClose(c);
    }
  }
}
