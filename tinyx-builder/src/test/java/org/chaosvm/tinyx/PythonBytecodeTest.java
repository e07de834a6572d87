package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte-compile step's plumbing, with a shell script standing in for the image's interpreter:
 * what it is given, and the .pyc files it leaves taken into the tree. That the image's real Python
 * compiles and uses them is shown in the rig (TinyxE2ETest: the Python VM's modules come from the
 * image's byte code).
 */
class PythonBytecodeTest {
  @TempDir Path dir;

  /**
   * A stand-in for python3.11: compiles nothing, but writes a .pyc holding its environment and
   * arguments into each folder it is given after ROOT, and says one module did not compile.
   */
  private Path fakePython() throws Exception {
    Path script =
        Files.writeString(
            dir.resolve("python3.11"),
            """
            #!/bin/sh
            [ "$1 $2 $3" = "-S -B -c" ] || exit 3
            shift 4
            for folder in "$@"; do
              /bin/mkdir -p "$folder/__pycache__"
              echo "home=$PYTHONHOME user-home=${HOME-unset} root=$0" >"$folder/__pycache__/m.cpython-311.pyc"
            done
            echo "*** Error compiling '$1/broken.py'..."
            """);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  @Test
  void eachFolderOfModulesGetsItsByteCodeInTheImage() throws Exception {
    FileTree tree = new FileTree();
    tree.addFile("/usr/bin/python3.11", fakePython(), 0755, "python3.11-minimal");
    tree.addContent("/usr/lib/python3.11/m.py", "x = 1\n", 0644, "libpython3.11-minimal");
    tree.addContent("/usr/lib/python3/dist-packages/m.py", "y = 2\n", 0644, "python3-m");
    Path work = dir.resolve("work");

    var compiled = PythonBytecode.addTo(tree, work);

    assertEquals(1, compiled.size());
    assertEquals("3.11", compiled.get(0).version());
    assertEquals(2, compiled.get(0).files());
    assertEquals(1, compiled.get(0).failed());
    for (String folder : new String[] {"/usr/lib/python3.11", "/usr/lib/python3/dist-packages"}) {
      FileTree.Entry pyc = tree.get(folder + "/__pycache__/m.cpython-311.pyc").orElseThrow();
      assertEquals(0644, pyc.mode());
      assertEquals("byte code of python3.11's modules (compiled by tinyx)", pyc.origin());
      String content = new String(pyc.content(), StandardCharsets.UTF_8);
      // the host's environment is not the interpreter's: only its home, in the laid-out tree
      assertTrue(content.startsWith("home=" + work.resolve("usr") + " user-home=unset"), content);
    }
    assertTrue(compiled.get(0).toString().contains("2 modules byte-compiled"));
    assertTrue(compiled.get(0).toString().contains("1 did not compile"));
    assertFalse(Files.exists(work), "the laid-out tree is removed");
  }

  @Test
  void anImageWithoutPythonIsLeftAsItIs() throws Exception {
    FileTree tree = new FileTree();
    tree.addContent("/usr/lib/python3.11/m.py", "x = 1\n", 0644, "test");
    int before = tree.entries().size();

    assertTrue(PythonBytecode.addTo(tree, dir.resolve("work")).isEmpty());
    assertEquals(before, tree.entries().size());
    assertFalse(Files.exists(dir.resolve("work")));
  }

  @Test
  void anInterpreterThatFailsIsNamed() throws Exception {
    Path script = Files.writeString(dir.resolve("python3.11"), "#!/bin/sh\necho no >&2\nexit 1\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    FileTree tree = new FileTree();
    tree.addFile("/usr/bin/python3.11", script, 0755, "python3.11-minimal");
    tree.addContent("/usr/lib/python3.11/m.py", "x = 1\n", 0644, "test");
    Path work = dir.resolve("work");

    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.io.IOException.class, () -> PythonBytecode.addTo(tree, work));
    assertTrue(e.getMessage().contains("exited with status 1: no"), e.getMessage());
    assertFalse(Files.exists(work));
  }
}
