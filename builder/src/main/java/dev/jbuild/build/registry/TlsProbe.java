package dev.jbuild.build.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One TLS handshake with a loopback registry, to tell a plain-HTTP registry (which Docker allows
 * on localhost) from a TLS one whose certificate we must still verify. Jib's failover client
 * cannot make that distinction: allowed to fall back, it also accepts any certificate.
 */
final class TlsProbe {

  private static final int TIMEOUT_MILLIS = 5000;

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
