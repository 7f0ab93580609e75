package dev.jbuild.build.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Tells a plain-HTTP loopback registry (which Docker allows on localhost) from a TLS one whose
 * certificate we must still verify. Jib's failover client cannot make that distinction: allowed
 * to fall back, it also accepts any certificate. A plain HTTP request goes first: an HTTP answer
 * other than 400 (what TLS servers send to a plain request on their port) means plain HTTP, and
 * the TLS machinery — the trust store, the handshake — is never started; anything else gets one
 * TLS handshake.
 */
final class TlsProbe {

  private static final int TIMEOUT_MILLIS = 5000;
  private static final int PLAIN_TIMEOUT_MILLIS = 2000;

  enum Outcome {
    /** The handshake succeeded with the JDK's trust store. */
    TRUSTED,
    /** The server speaks TLS with a certificate we do not trust (or for another name). */
    UNTRUSTED,
    /** The server answered, but not with TLS. */
    PLAIN,
    /** Nothing to talk to; the real request will say why. */
    UNREACHABLE
  }

  record Result(Outcome outcome, String detail) {}

  private TlsProbe() {}

  static Result probe(String host, int port) {
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    Result plain = plainProbe(host, bare, port);
    if (plain != null) {
      return plain;
    }
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(bare, port), TIMEOUT_MILLIS);
      raw.setSoTimeout(TIMEOUT_MILLIS);
      SSLSocketFactory factory = (SSLSocketFactory) SSLSocketFactory.getDefault();
      try (SSLSocket tls = (SSLSocket) factory.createSocket(raw, bare, port, false)) {
        SSLParameters params = tls.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(params);
        tls.startHandshake();
        return new Result(Outcome.TRUSTED, "");
      }
    } catch (SSLException e) {
      return isCertificateProblem(e)
          ? new Result(Outcome.UNTRUSTED, rootMessage(e))
          : new Result(Outcome.PLAIN, rootMessage(e));
    } catch (IOException e) {
      return new Result(Outcome.UNREACHABLE, rootMessage(e));
    }
  }

  /**
   * {@code GET /v2/} over plain HTTP: PLAIN for an HTTP status line other than 400, UNREACHABLE
   * when nothing listens, null when the answer is not plain HTTP (then TLS decides).
   */
  static Result plainProbe(String host, String bare, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(bare, port), TIMEOUT_MILLIS);
      s.setSoTimeout(PLAIN_TIMEOUT_MILLIS);
      s.getOutputStream()
          .write(
              ("GET /v2/ HTTP/1.0\r\nHost: " + host + ":" + port + "\r\nUser-Agent: jbuild\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] head = s.getInputStream().readNBytes(12);
      String status = new String(head, StandardCharsets.ISO_8859_1);
      if (status.matches("HTTP/1\\.[01] [0-9]{3}") && !status.endsWith(" 400")) {
        return new Result(Outcome.PLAIN, status);
      }
      return null;
    } catch (java.net.ConnectException | java.net.UnknownHostException e) {
      return new Result(Outcome.UNREACHABLE, rootMessage(e));
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean isCertificateProblem(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateException
          || t instanceof java.security.cert.CertPathValidatorException
          || t.getClass().getName().contains("CertPathBuilderException")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    String message = String.valueOf(e.getMessage());
    return message.contains("PKIX") || message.contains("certificate");
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
