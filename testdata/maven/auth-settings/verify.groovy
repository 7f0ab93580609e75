// (4) checks: settings.xml credentials were used (and logged as such) to pull and push over TLS,
// the registry has the image, and explicit wrong credentials failed with their source named.
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log.contains("registry ${tlsRegistry}: using the credentials from settings.xml <server> \"${tlsRegistry}\"")
assert log.contains("registry ${tlsRegistry}: using the credentials from jbuild.to.auth.username/password")
assert log.contains('the credentials from jbuild.to.auth.username/password were rejected')
assert log.contains('HTTP 401')
assert !log.contains('s3cret!')

def json = new JsonSlurper().parse(new File(basedir, 'target/jbuild-image.json'))
def p = ['skopeo', 'inspect', '--tls-verify=false', '--creds', 'jbuild:s3cret!', "docker://${tlsRegistry}/it/secure:1.0"].execute()
def out = new StringBuilder(), err = new StringBuilder()
p.waitForProcessOutput(out, err)
assert p.exitValue() == 0 : "skopeo inspect failed: ${err}"
def inspect = new JsonSlurper().parseText(out.toString())
assert inspect.Digest == json.imageDigest
assert inspect.Labels['org.example.auth'] == 'settings'
// without credentials the registry refuses: the push above really authenticated
def anon = ['skopeo', 'inspect', '--tls-verify=false', '--no-creds', "docker://${tlsRegistry}/it/secure:1.0"].execute()
anon.waitForProcessOutput(new StringBuilder(), new StringBuilder())
assert anon.exitValue() != 0
true
