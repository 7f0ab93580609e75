package dev.jbuild.dockerfile.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One expanded EXPOSE word, {@code [ip:][hostPort:]port[-end][/proto]}, parsed like BuildKit's
 * {@code parsePortSpec}. The host IP and port are accepted (and flagged by lint) but do not reach
 * the image.
 *
 * @param hostIp the IP part, brackets removed, when given
 * @param hostPort the host port or range as written, when given
 * @param start first container port
 * @param end last container port (equal to start without a range)
 * @param protocol tcp, udp or sctp, lowercase
 */
public record ExposeSpec(Optional<String> hostIp, Optional<String> hostPort, int start, int end, String protocol) {

  public ExposeSpec {
    Objects.requireNonNull(hostIp, "hostIp");
    Objects.requireNonNull(hostPort, "hostPort");
    Objects.requireNonNull(protocol, "protocol");
    if (start < 0 || end > 65535 || end < start) {
      throw new IllegalArgumentException("bad port range " + start + "-" + end);
    }
  }

  /** The image config keys, {@code <port>/<proto>}, one per port of the range. */
  public List<String> portKeys() {
    List<String> out = new ArrayList<>();
    for (int p = start; p <= end; p++) {
      out.add(p + "/" + protocol);
    }
    return out;
  }

  /**
   * Parses one expanded word.
   *
   * @throws InvalidValueException with BuildKit's message
   */
  public static ExposeSpec parse(String rawPort) {
    String[] parts = rawPort.split(":", -1);
    String ip = "";
    String hostPort = "";
    String containerPort;
    int n = parts.length;
    if (n == 1) {
      containerPort = parts[0];
    } else if (n == 2) {
      hostPort = parts[0];
      containerPort = parts[1];
    } else {
      ip = String.join(":", java.util.Arrays.copyOfRange(parts, 0, n - 2));
      hostPort = parts[n - 2];
      containerPort = parts[n - 1];
    }
    int slash = containerPort.indexOf('/');
    String port = slash < 0 ? containerPort : containerPort.substring(0, slash);
    String proto = slash < 0 ? "" : containerPort.substring(slash + 1).toLowerCase(Locale.ROOT);
    if (port.isEmpty()) {
      throw new InvalidValueException("no port specified: " + containerPort + "<empty>");
    }
    switch (proto) {
      case "":
        proto = "tcp";
        break;
      case "tcp":
      case "udp":
      case "sctp":
        break;
      default:
        throw new InvalidValueException("invalid proto: " + proto);
    }
    if (!ip.isEmpty() && ip.charAt(0) == '[') {
      if (!ip.endsWith("]")) {
        throw new InvalidValueException("invalid IP address " + ip + ": missing ']' in address");
      }
      ip = ip.substring(1, ip.length() - 1);
    }
    if (!ip.isEmpty() && !isIp(ip)) {
      throw new InvalidValueException("invalid IP address: " + ip);
    }
    int[] range = portRange(port);
    if (range == null) {
      throw new InvalidValueException("invalid containerPort: " + port);
    }
    if (!hostPort.isEmpty()) {
      int[] host = portRange(hostPort);
      if (host == null) {
        throw new InvalidValueException("invalid hostPort: " + hostPort);
      }
      if (range[1] - range[0] != host[1] - host[0] && range[1] != range[0]) {
        throw new InvalidValueException(
            "invalid ranges specified for container and host Ports: " + port + " and " + hostPort);
      }
    }
    return new ExposeSpec(
        ip.isEmpty() ? Optional.empty() : Optional.of(ip),
        hostPort.isEmpty() ? Optional.empty() : Optional.of(hostPort),
        range[0],
        range[1],
        proto);
  }

  private static int[] portRange(String ports) {
    if (ports.isEmpty()) {
      return null;
    }
    if (!ports.contains("-")) {
      int p = port(ports);
      return p < 0 ? null : new int[] {p, p};
    }
    String[] parts = ports.split("-", -1);
    if (parts.length != 2) {
      return null;
    }
    int a = port(parts[0]);
    int b = port(parts[1]);
    if (a < 0 || b < 0 || b < a) {
      return null;
    }
    return new int[] {a, b};
  }

  /** {@code strconv.ParseUint(s, 10, 16)}, or -1. */
  private static int port(String s) {
    java.util.OptionalLong v = GoSyntax.parseUint32(s, 10);
    if (v.isEmpty() || v.getAsLong() > 65535) {
      return -1;
    }
    return (int) v.getAsLong();
  }

  private static boolean isIp(String ip) {
    if (ip.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      for (String octet : ip.split("\\.")) {
        if (Integer.parseInt(octet) > 255 || (octet.length() > 1 && octet.startsWith("0"))) {
          return false;
        }
      }
      return true;
    }
    if (ip.contains(":") && ip.matches("[0-9a-fA-F:.]+")) {
      try {
        // An IPv6 literal never triggers a name lookup.
        return java.net.InetAddress.getByName("[" + ip + "]") != null;
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }
    return false;
  }
}
