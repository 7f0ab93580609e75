// (2) checks: the parent was skipped, three images were built and pushed, app is FROM base.
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log.contains('jbuild: skipped, packaging is pom') : 'the parent (packaging pom) must be skipped'
assert (log =~ /jbuild: skipped, packaging is pom/).count == 1 : 'base asks to be built (jbuild.skipPom=false)'

def skopeo = { String... args ->
  def p = (['skopeo'] + args.toList()).execute()
  def out = new StringBuilder(), err = new StringBuilder()
  p.waitForProcessOutput(out, err)
  assert p.exitValue() == 0 : "skopeo ${args.join(' ')} failed: ${err}"
  new JsonSlurper().parseText(out.toString())
}
def images = [:]
for (m in ['base', 'app', 'tool']) {
  def json = new JsonSlurper().parse(new File(basedir, "${m}/target/jbuild-image.json"))
  assert json.imagePushed == true
  def inspect = skopeo('inspect', '--tls-verify=false', "docker://${registry}/it/multi-${m}:1.0")
  assert inspect.Digest == json.imageDigest : "${m}: registry has ${inspect.Digest}, jbuild built ${json.imageDigest}"
  images[m] = inspect
}
// app is base plus one layer, and inherits base's environment
assert images.app.Layers.size() == images.base.Layers.size() + 1
assert images.app.Layers.take(images.base.Layers.size()) == images.base.Layers
def appConfig = skopeo('inspect', '--tls-verify=false', '--config', "docker://${registry}/it/multi-app:1.0")
assert appConfig.config.Env.contains('RUNTIME_BASE=multi')
assert appConfig.config.Entrypoint == ['java', '-jar', '/app/app.jar']
// tool was built beside them, from the plain base
assert images.tool.Layers.size() == 2
// the save goal wrote each image as an archive skopeo reads, the same manifest as the push
def tool = skopeo('inspect', "oci-archive:${new File(basedir, 'tool/target/jbuild-image.tar')}")
assert tool.Digest == images.tool.Digest
def app = skopeo('inspect', "docker-archive:${new File(basedir, 'app/target/jbuild-image.tar')}")
assert app.Layers.size() == images.app.Layers.size()
assert (log =~ /saved \S+ as (oci|docker)-archive to /).count == 2
// the pushes resolved app's base from the local store, never from a registry that had no such image yet
assert !log.contains('ERROR')
true
