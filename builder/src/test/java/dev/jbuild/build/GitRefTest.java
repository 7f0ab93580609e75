package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which ADD sources are git repositories: BuildKit's dfgitutil git_ref_test.go table. */
class GitRefTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://example.com/",
        "https://example.com/foo",
        "https://example.com/foo.git/",
        "https://example.com/foo.git.bar",
        "custom.xyz/moby/buildkit.git",
        "https://github.com/moby/buildkit",
        "http://github.com/docker/docker.git:#branch",
        "./.git",
        ".git",
        "github.com/moby/buildkit",
        "file:///srv/repo.git",
        "ftp://example.com/x.git",
        "dir/file.txt",
        "/abs/path",
        "c:/x",
      })
  void notGit(String source) {
    assertThat(GitRef.parse(source)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "https://example.com/foo.git|https://example.com/foo.git||",
        "https://example.com/foo.git#deadbeef|https://example.com/foo.git|deadbeef|",
        "https://example.com/foo.git#release/1.2|https://example.com/foo.git|release/1.2|",
        "git://example.com/foo|git://example.com/foo||",
        "https://foo:bar@github.com/moby/buildkit.git|https://foo:bar@github.com/moby/buildkit.git||",
        "git@github.com:moby/buildkit|git@github.com:moby/buildkit||",
        "git@bitbucket.org:atlassianlabs/atlassian-docker.git|git@bitbucket.org:atlassianlabs/atlassian-docker.git||",
        "https://github.com/foo/bar.git#baz/qux:quux/quuz|https://github.com/foo/bar.git|baz/qux|quux/quuz",
        "https://github.com/docker/docker.git#:myfolder|https://github.com/docker/docker.git||myfolder",
        "https://github.com/docker/docker.git?ref=v1.0.0&subdir=/subdir|https://github.com/docker/docker.git|v1.0.0|/subdir",
        "ssh://git@example.com/x/y.git#main|ssh://git@example.com/x/y.git|main|",
        "http://127.0.0.1:8080/repo.git?branch=dev|http://127.0.0.1:8080/repo.git|refs/heads/dev|",
        "https://e.com/r.git?tag=v1|https://e.com/r.git|refs/tags/v1|",
      })
  void git(String source, String remote, String ref, String subdir) {
    Optional<GitRef> r = GitRef.parse(source);
    assertThat(r).as(source).isPresent();
    assertThat(r.get().remote()).isEqualTo(remote);
    assertThat(r.get().ref()).isEqualTo(ref == null ? "" : ref);
    assertThat(r.get().subdir()).isEqualTo(subdir == null ? "" : subdir);
  }

  @Test
  void queryOptions() {
    GitRef r =
        GitRef.parse("https://e.com/r.git?commit=0123456789abcdef0123456789abcdef01234567&keep-git-dir&submodules=false&mtime=commit")
            .orElseThrow();
    assertThat(r.ref()).isEqualTo("0123456789abcdef0123456789abcdef01234567");
    assertThat(r.checksum()).isEqualTo(r.ref());
    assertThat(r.keepGitDir()).contains(true);
    assertThat(r.submodules()).contains(false);
    assertThat(r.commitMtime()).isTrue();
    assertThatThrownBy(() -> GitRef.parse("https://e.com/r.git?branch=a&tag=b"))
        .hasMessage("branch conflicts with tag");
    assertThatThrownBy(() -> GitRef.parse("https://e.com/r.git?ref=a#b"))
        .hasMessage("ref conflicts: \"b\" vs \"a\"");
    assertThatThrownBy(() -> GitRef.parse("https://e.com/r.git?depth=1"))
        .hasMessage("unexpected query \"depth\"");
    assertThatThrownBy(() -> GitRef.parse("https://e.com/r.git?ref="))
        .hasMessage("query \"ref\" has no value");
    assertThatThrownBy(() -> GitRef.parse("https://e.com/r.git?keep-git-dir=maybe"))
        .hasMessage("invalid keep-git-dir value: \"maybe\"");
  }

  @Test
  void dockerfileFlagsMergeWithTheUrl() {
    GitRef r = GitRef.parse("https://e.com/r.git?checksum=abc").orElseThrow();
    assertThat(r.withFlags(Optional.of("abc"), Optional.empty()).checksum()).isEqualTo("abc");
    assertThatThrownBy(() -> r.withFlags(Optional.of("def"), Optional.empty()))
        .hasMessage("checksum mismatch \"def\" != \"abc\"");
    GitRef keep = GitRef.parse("https://e.com/r.git?keep-git-dir=false").orElseThrow();
    assertThatThrownBy(() -> keep.withFlags(Optional.empty(), Optional.of(true)))
        .hasMessage("inconsistent keep-git-dir configuration");
    assertThat(GitRef.parse("https://e.com/r.git").orElseThrow()
            .withFlags(Optional.of("1234"), Optional.of(true)))
        .satisfies(g -> {
          assertThat(g.checksum()).isEqualTo("1234");
          assertThat(g.keepsGitDir()).isTrue();
          assertThat(g.ref()).isEmpty();
        });
  }

  @Test
  void credentialsAreRedactedInMessages() {
    assertThat(GitRef.parse("https://user:secret@e.com/r.git").orElseThrow().redactedRemote())
        .isEqualTo("https://user:xxxxx@e.com/r.git");
  }
}
