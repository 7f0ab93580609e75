package dev.jbuild.dockerfile.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunMountTest {

  @Test
  void bindIsTheDefaultTypeAndReadOnly() {
    RunMount m = RunMount.parse("target=/src,source=.");
    assertThat(m.type()).isEqualTo(MountType.BIND);
    assertThat(m.readOnly()).isTrue();
    assertThat(m.target()).contains("/src");
    assertThat(m.source()).contains(".");
  }

  @Test
  void cacheDefaultsToWritableAndKeepsEveryOption() {
    RunMount m = RunMount.parse("type=cache,id=m2,dst=/root/.m2,sharing=LOCKED,mode=0750,uid=1000,gid=1001,from=base,src=/c");
    assertThat(m.type()).isEqualTo(MountType.CACHE);
    assertThat(m.readOnly()).isFalse();
    assertThat(m.id()).contains("m2");
    assertThat(m.target()).contains("/root/.m2");
    assertThat(m.sharing()).contains(CacheSharing.LOCKED);
    assertThat(m.mode()).isEqualTo(OptionalLong.of(0750));
    assertThat(m.uid()).isEqualTo(OptionalLong.of(1000));
    assertThat(m.gid()).isEqualTo(OptionalLong.of(1001));
    assertThat(m.from()).contains("base");
    assertThat(m.source()).contains("/c");
  }

  @Test
  void aliasesAndBareWords() {
    assertThat(RunMount.parse("type=bind,destination=/a,rw").readOnly()).isFalse();
    assertThat(RunMount.parse("type=cache,target=/a,ro").readOnly()).isTrue();
    assertThat(RunMount.parse("type=cache,target=/a,readonly=true").readOnly()).isTrue();
    assertThat(RunMount.parse("type=bind,target=/a,readwrite=1").readOnly()).isFalse();
    assertThat(RunMount.parse("TYPE=Secret,id=tok,required").required()).isTrue();
    assertThat(RunMount.parse("type=ssh,required=false").required()).isFalse();
  }

  @Test
  void tmpfsSizeUsesBinaryUnits() {
    assertThat(RunMount.parse("type=tmpfs,target=/t,size=64m").size()).isEqualTo(OptionalLong.of(64L << 20));
    assertThat(RunMount.parse("type=tmpfs,target=/t,size=1.5GiB").size())
        .isEqualTo(OptionalLong.of((long) (1.5 * (1L << 30))));
    assertThat(RunMount.parse("type=tmpfs,target=/t,size=512").size()).isEqualTo(OptionalLong.of(512));
  }

  @Test
  void secretWithEnvOnlyAndQuotedCsv() {
    RunMount m = RunMount.parse("type=secret,id=aws,env=AWS_KEY");
    assertThat(m.env()).contains("AWS_KEY");
    assertThat(m.target()).isEmpty();
    assertThat(RunMount.parse("type=bind,\"target=/a,b\"").target()).contains("/a,b");
    assertThat(RunMount.parse("type=secret,id=x,env=").env()).isEqualTo(Optional.of(""));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "type=bnd,target=/a|unsupported mount type \"bnd\" (did you mean bind?)",
        "type=foo|unsupported mount type \"foo\"",
        "type=cache,sharing=everyone|unsupported sharing value \"everyone\"",
        "type=cache,sharing=lockd|unsupported sharing value \"lockd\" (did you mean locked?)",
        "type=bind,target=/a,mode=0644|mode not allowed for \"bind\" type mounts",
        "type=tmpfs,target=/a,uid=1|uid not allowed for \"tmpfs\" type mounts",
        "type=bind,gid=1|gid not allowed for \"bind\" type mounts",
        "type=cache,mode=999|invalid value 999 for mode",
        "type=cache,uid=-1|invalid value -1 for uid",
        "type=cache,gid=x|invalid value x for gid",
        "type=bind,size=1m|unexpected key 'size' for mount type 'bind'",
        "type=tmpfs,size=lots|invalid value for size: lots",
        "required,type=secret,id=a|unexpected key 'required' for mount type 'bind'",
        "type=cache,required=true|unexpected key 'required' for mount type 'cache'",
        "type=bind,ro=maybe|invalid value for ro: maybe",
        "type=bind,rw=maybe|invalid value for rw: maybe",
        "type=bind,target|invalid field 'target' must be a key=value pair",
        "type=bind,tagret=/a|unexpected key 'tagret' in 'tagret=/a' (did you mean target?)",
        "type=bind,bogus=1|unexpected key 'bogus' in 'bogus=1'",
        "type=secret,from=x,id=a|secret mount should not have a from",
        "type=secret,id=a,sharing=locked|secret mount should not define sharing",
        "type=secret|invalid secret mount. one of source, target required",
        "type=secret,source=a,id=b|both source and id can't be set",
        "type=bind,sharing=locked|invalid cache sharing set for bind mount",
        "type=bind,from=$STAGE|'from' doesn't support variable expansion, define alias stage instead",
        "type=bind,target=/a\"b|failed to parse csv mounts: parse error on line 1, column 20: bare \" in non-quoted field",
        "type=bind,\"target=/a|failed to parse csv mounts: parse error on line 1, column 12: extraneous or missing \" in quoted field",
      })
  void errorsUseBuildKitWording(String spec, String message) {
    assertThatThrownBy(() -> RunMount.parse(spec)).isInstanceOf(InvalidValueException.class).hasMessage(message);
  }

  @Test
  void emptySpecIsEof() {
    assertThatThrownBy(() -> RunMount.parse("")).hasMessage("failed to parse csv mounts: EOF");
  }

  @Test
  void fromMayEndWithADollar() {
    assertThat(RunMount.parse("from=stage$").from()).contains("stage$");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "target=/src",
        "type=cache,target=/root/.m2,id=m2,sharing=private,mode=0700,uid=1,gid=2,ro",
        "type=tmpfs,target=/t,size=1048576",
        "type=secret,id=tok,target=/run/tok,required,env=TOKEN",
        "type=ssh,id=default,required,rw",
        "type=bind,\"source=a,b\",target=/x",
      })
  void toSpecParsesBackEqual(String spec) {
    RunMount m = RunMount.parse(spec);
    assertThat(RunMount.parse(m.toSpec())).isEqualTo(m);
  }

  @Test
  void numericOptionsWithVariablesWaitForExpansion() {
    RunMount m = RunMount.parse("type=cache,target=/c,uid=${UID},gid=$GID,mode=0700");
    assertThat(m.uid()).isEmpty();
    assertThat(m.mode()).isEqualTo(OptionalLong.of(0700));
    assertThat(m.unexpanded()).containsExactly(new KeyValue("uid", "${UID}"), new KeyValue("gid", "$GID"));
    assertThat(RunMount.parse(m.toSpec())).isEqualTo(m);
    RunMount expanded =
        RunMount.parse("type=cache,target=$HOME/c,uid=${UID},gid=$GID", v -> v.replace("${UID}", "1000").replace("$GID", "1001").replace("$HOME", "/root"));
    assertThat(expanded.uid()).isEqualTo(OptionalLong.of(1000));
    assertThat(expanded.gid()).isEqualTo(OptionalLong.of(1001));
    assertThat(expanded.target()).contains("/root/c");
    assertThat(expanded.unexpanded()).isEmpty();
  }

  @Test
  void deferredOptionsStillCountForTheTypeChecks() {
    assertThatThrownBy(() -> RunMount.parse("type=bind,target=/a,uid=$U")).hasMessage("uid not allowed for \"bind\" type mounts");
    assertThatThrownBy(() -> RunMount.parse("type=cache,target=/a,size=$S")).hasMessage("unexpected key 'size' for mount type 'cache'");
    assertThatThrownBy(() -> RunMount.parse("type=cache,uid=$U", v -> v.equals("$U") ? "x" : v)).hasMessage("invalid value x for uid");
    assertThat(RunMount.parse("type=tmpfs,target=/t,size=$S").unexpanded()).containsExactly(new KeyValue("size", "$S"));
  }

  @Test
  void expandGivesANewCheckedMount() {
    RunMount m = RunMount.parse("type=cache,id=$ID,target=$HOME/.m2,uid=$U,from=base");
    RunMount e = m.expand(v -> v.replace("$ID", "m2").replace("$HOME", "/root").replace("$U", "7"));
    assertThat(e.id()).contains("m2");
    assertThat(e.target()).contains("/root/.m2");
    assertThat(e.uid()).isEqualTo(OptionalLong.of(7));
    assertThat(e.from()).contains("base");
    assertThat(e.unexpanded()).isEmpty();
    assertThat(m.target()).contains("$HOME/.m2");
    assertThatThrownBy(() -> m.expand(v -> v.replace("$U", "-1"))).hasMessage("invalid value -1 for uid");
  }
}
