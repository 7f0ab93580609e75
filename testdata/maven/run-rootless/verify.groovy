// (3) checks: the RUN steps ran in the sandbox (output relayed to the log), the second build was
// all cache hits with the same digest, and the pushed image holds what the steps made: a file,
// a chowned directory, a deletion (whiteout), a secret's length but never the secret.
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log =~ /\| hello from RUN as uid 0/ : 'RUN output goes to the Maven log'
def builds = (log =~ /built (\S+) (sha256:[0-9a-f]{64}) \(image ID [0-9a-f]+\) in [0-9.]+s: (\d+) steps, (\d+) cached, (\d+) new layers/).collect { it }
assert builds.size() == 2
assert builds[0][5] == '4' : "three RUN layers and a COPY layer: ${builds[0][0]}"
assert builds[1][5] == '0' : "the second build must be all cache hits: ${builds[1][0]}"
assert builds[0][2] == builds[1][2] : 'the same digest twice'
def json = new JsonSlurper().parse(new File(basedir, 'target/jbuild-image.json'))
assert json.imageDigest == builds[0][2] && json.imagePushed == true

// the pushed image, layer by layer
def dir = new File(basedir, 'target/pulled')
def copy = ['skopeo', 'copy', '--src-tls-verify=false', "docker://${registry}/it/run-rootless:1.0", "dir:${dir}"].execute()
def err = new StringBuilder()
copy.waitForProcessOutput(new StringBuilder(), err)
assert copy.exitValue() == 0 : "skopeo copy failed: ${err}"
def manifest = new JsonSlurper().parse(new File(dir, 'manifest.json'))
assert manifest.layers.size() == 5
def layer = { int i -> new File(dir, manifest.layers[i].digest.substring('sha256:'.length())) }
def tar = { File f, String... args ->
  def p = (['tar', '-xzO', '-f', f.path] + args.toList()).execute()
  def out = new StringBuilder(), e = new StringBuilder()
  p.waitForProcessOutput(out, e)
  assert p.exitValue() == 0 : "tar ${args}: ${e}"
  out.toString()
}
def list = { File f ->
  def p = ['tar', '-tvzf', f.path, '--numeric-owner'].execute()
  def out = new StringBuilder()
  p.waitForProcessOutput(out, new StringBuilder())
  out.toString()
}
assert tar(layer(1), 'hello.txt') == 'hello from RUN\n'
def second = list(layer(2))
assert second =~ /1000\/1000 .* data\/file/ : second
assert second.contains('etc/.wh.group') : "the deleted /etc/group is a whiteout: ${second}"
assert tar(layer(3), 'token-length').trim() == '21'
assert tar(layer(4), 'pom.xml').contains('<artifactId>run-rootless</artifactId>')
for (int i = 0; i < manifest.layers.size(); i++) {
  def bytes = new java.util.zip.GZIPInputStream(new FileInputStream(layer(i))).bytes
  assert !new String(bytes, 'ISO-8859-1').contains('not-in-the-image-7d1f') : "layer ${i} holds the secret"
}
true
