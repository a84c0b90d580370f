package io.llt.engine.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.memory.AllocationsTracker;
import org.nd4j.linalg.api.memory.enums.AllocationKind;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the native (off-heap) memory counters that ND4J M2.1 actually maintains on the CPU
 * backend (measured in specs/dl4j-notes.md section 5.1): live bytes of ND4J buffers outside
 * workspaces ({@code Environment.getDeviceCouner(0)}, sic), bytes reserved by workspaces ({@code
 * AllocationsTracker} WORKSPACE), and the process's resident set from {@code /proc/self/status}.
 * JavaCPP's {@code Pointer.totalBytes()} does not see ND4J buffers and is not used.
 */
public final class NativeMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private NativeMemory() {}

  /** Returns live bytes of ND4J buffers outside workspaces on device 0. */
  public static long liveArrayBytes() {
    return Nd4j.getEnvironment().getDeviceCouner(0);
  }

  /** Returns bytes currently reserved by ND4J workspaces on device 0. */
  public static long workspaceBytes() {
    return AllocationsTracker.getInstance().bytesOnDevice(AllocationKind.WORKSPACE, 0);
  }

  /** Returns live array bytes plus workspace bytes: the native memory the engine holds. */
  public static long nativeBytes() {
    return liveArrayBytes() + workspaceBytes();
  }

  /** Returns the kernel's high-water resident set size in bytes, or -1. */
  public static long peakResidentBytes() {
    return procStatusBytes("VmHWM:");
  }

  private static long procStatusBytes(String key) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(key)) {
          String[] parts = line.substring(key.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024L;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
