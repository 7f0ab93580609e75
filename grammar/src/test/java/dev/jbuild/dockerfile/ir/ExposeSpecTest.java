package dev.jbuild.dockerfile.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExposeSpecTest {

  @Test
  void defaultsToTcp() {
    assertThat(ExposeSpec.parse("80").portKeys()).containsExactly("80/tcp");
  }

  @Test
  void protocolIsLowercased() {
    assertThat(ExposeSpec.parse("53/UDP").portKeys()).containsExactly("53/udp");
    assertThat(ExposeSpec.parse("9/sctp").protocol()).isEqualTo("sctp");
  }

  @Test
  void rangesExpand() {
    assertThat(ExposeSpec.parse("8000-8002/udp").portKeys()).isEqualTo(List.of("8000/udp", "8001/udp", "8002/udp"));
  }

  @Test
  void hostParts() {
    ExposeSpec s = ExposeSpec.parse("127.0.0.1:8080:80");
    assertThat(s.hostIp()).contains("127.0.0.1");
    assertThat(s.hostPort()).contains("8080");
    assertThat(s.portKeys()).containsExactly("80/tcp");
    assertThat(ExposeSpec.parse("[::1]:8080:80").hostIp()).contains("::1");
    assertThat(ExposeSpec.parse("8080:80").hostIp()).isEqualTo(Optional.empty());
    assertThat(ExposeSpec.parse("8000-8001:80").portKeys()).containsExactly("80/tcp");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/tcp|no port specified: /tcp<empty>",
        "80/http|invalid proto: http",
        "abc|invalid containerPort: abc",
        "65536|invalid containerPort: 65536",
        "90-80|invalid containerPort: 90-80",
        "1-2-3|invalid containerPort: 1-2-3",
        "x:80|invalid hostPort: x",
        "999.1.1.1:80:80|invalid IP address: 999.1.1.1",
        "8000-8001:80-82|invalid ranges specified for container and host Ports: 80-82 and 8000-8001",
      })
  void errors(String spec, String message) {
    assertThatThrownBy(() -> ExposeSpec.parse(spec)).isInstanceOf(InvalidValueException.class).hasMessage(message);
  }
}
