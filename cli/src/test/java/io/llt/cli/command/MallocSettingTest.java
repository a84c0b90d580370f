package io.llt.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The glibc mmap threshold: the launcher sets it unless the user did, and the commands note its
 * absence on Linux.
 */
class MallocSettingTest {
  @Test
  void notesTheMissingVariableOnLinuxOnly() {
    String note = RunSupport.mallocNote("Linux", Map.of("PATH", "/usr/bin"));
    assertNotNull(note);
    assertTrue(note.startsWith("note: MALLOC_MMAP_THRESHOLD_ is not set"), note);
    assertTrue(note.contains("export MALLOC_MMAP_THRESHOLD_=131072"), note);
    assertNull(RunSupport.mallocNote("Linux", Map.of("MALLOC_MMAP_THRESHOLD_", "65536")));
    assertNull(RunSupport.mallocNote("Mac OS X", Map.of()));
    assertNull(RunSupport.mallocNote("Windows 11", Map.of()));
  }

  @Test
  void launcherSetsTheThresholdUnlessTheUserDid(@TempDir Path dir) throws Exception {
    // a copy of the launcher beside a built jar (so it does not build) and a 'java' that prints
    // the variable it was given
    Files.copy(Path.of("..", "llt"), dir.resolve("llt"));
    Files.createDirectories(dir.resolve("cli/target"));
    Files.writeString(dir.resolve("cli/target/llt.jar"), "");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/bin/sh\necho \"threshold=${MALLOC_MMAP_THRESHOLD_:-unset}\"\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));

    assertEquals("threshold=131072", launch(dir, bin, null));
    assertEquals("threshold=65536", launch(dir, bin, "65536"));
  }

  private static String launch(Path dir, Path bin, String threshold)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", dir.resolve("llt").toString(), "--version");
    Map<String, String> env = pb.environment();
    env.put("PATH", bin + ":/usr/bin:/bin");
    env.remove("MALLOC_MMAP_THRESHOLD_");
    if (threshold != null) {
      env.put("MALLOC_MMAP_THRESHOLD_", threshold);
    }
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "launcher did not finish");
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}
