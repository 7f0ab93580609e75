// (1) checks: the image was built on package, the second package was all cache hits with the same
// digest, deploy pushed both tags, and the registry serves exactly the image jbuild recorded.
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def builds = (log =~ /built (\S+) (sha256:[0-9a-f]{64}) \(image ID [0-9a-f]+\) in [0-9.]+s: (\d+) steps, (\d+) cached, (\d+) new layers/).collect { it }
assert builds.size() == 3 : "expected a build in each of the 3 invocations, found ${builds.size()}"
assert builds[0][4] == '0' && builds[0][5] == '2' : "the first package writes the WORKDIR and COPY layers: ${builds[0][0]}"
assert builds[1][5] == '0' && builds[1][4] == '2' : "the second package must be all cache hits: ${builds[1][0]}"
assert builds.collect { it[2] }.toSet().size() == 1 : "the digest changed between builds: ${builds.collect { it[2] }}"
def digest = builds[0][2]

// the files jbuild leaves in target/
assert new File(basedir, 'target/jbuild-image.digest').text == digest
def id = new File(basedir, 'target/jbuild-image.id').text
assert id ==~ /sha256:[0-9a-f]{64}/
def json = new JsonSlurper().parse(new File(basedir, 'target/jbuild-image.json'))
assert json.image == "${registry}/it/app-jar:1.0".toString()
assert json.imageDigest == digest && json.imageId == id
assert json.tags == ['1.0', 'latest']
assert json.imagePushed == true

// what the registry serves, through skopeo
def skopeo = { String... args ->
  def p = (['skopeo'] + args.toList()).execute()
  def out = new StringBuilder(), err = new StringBuilder()
  p.waitForProcessOutput(out, err)
  assert p.exitValue() == 0 : "skopeo ${args.join(' ')} failed: ${err}"
  new JsonSlurper().parseText(out.toString())
}
for (tag in ['1.0', 'latest']) {
  def inspect = skopeo('inspect', '--tls-verify=false', "docker://${registry}/it/app-jar:${tag}")
  assert inspect.Digest == digest : "${tag}: the registry serves ${inspect.Digest}, jbuild built ${digest}"
  assert inspect.Layers.size() == 3
}
def config = skopeo('inspect', '--tls-verify=false', '--config', "docker://${registry}/it/app-jar:1.0")
assert "sha256:" + java.security.MessageDigest.getInstance('SHA-256').digest(
    ['skopeo', 'inspect', '--tls-verify=false', '--config', '--raw', "docker://${registry}/it/app-jar:1.0"].execute().inputStream.bytes).encodeHex() == id
assert config.config.Entrypoint == ['java', '-jar', '/app/app.jar']
assert config.config.WorkingDir == '/app'
assert config.config.Labels['org.opencontainers.image.version'] == '1.0'
assert config.config.Labels['org.example.base'] == 'busybox'
// project.build.outputTimestamp became SOURCE_DATE_EPOCH
assert config.created == '2023-05-06T07:08:09Z'
assert config.history.size() == 5
assert config.history.drop(1).every { it.created == '2023-05-06T07:08:09Z' } : config.history
// the check goal ran and logged no warning for this Dockerfile
assert log.contains('check complete for')
assert !log.contains('warning: ')
true
