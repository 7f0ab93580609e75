// (5) checks: jbuild.skip skipped both goals, jbuild.skip.build and jbuild.skip.push each skipped
// their goal, and build and check failed with the positioned message, once each.
def log = new File(basedir, 'build.log').text
assert (log =~ /jbuild: skipped \(jbuild\.skip\)/).count == 2 : 'jbuild.skip skips build and push'
assert (log =~ /jbuild: skipped \(jbuild\.skip\.build\)/).count == 1
assert (log =~ /jbuild: skipped \(jbuild\.skip\.push\)/).count == 1

def dockerfile = new File(basedir, 'Dockerfile').canonicalPath
def expected = "${dockerfile}:3:1: error: unknown instruction: RUNN (did you mean RUN?)"
def failures = log.readLines().findAll { it.startsWith('[ERROR] Failed to execute goal dev.jbuild:jbuild-maven-plugin') }
assert failures.size() == 2 : "build and check fail, one error each: ${failures}"
assert failures[0].contains(':build (default) on project skip-and-error: ' + expected) : failures[0]
assert failures[1].contains(':check (default-cli) on project skip-and-error: ' + expected) : failures[1]
// the source line and the caret follow, as the CLI prints them
def lines = log.readLines()
def at = lines.findIndexOf { it.contains(expected) }
assert lines[at + 1] == '[ERROR]   RUNN echo "a typo"'
assert lines[at + 2] == '[ERROR]   ^'
// nothing was tagged or written
assert !new File(basedir, 'target/jbuild-image.json').exists()
true
