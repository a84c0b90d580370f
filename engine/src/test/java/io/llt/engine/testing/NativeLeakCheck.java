package io.llt.engine.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fails a test that leaves an ND4J workspace open on its thread: a step that does not close its
 * scope on some path would silently keep its temporaries alive. Use with
 * {@code @ExtendWith(NativeLeakCheck.class)}.
 */
public final class NativeLeakCheck implements AfterEachCallback {
  @Override
  public void afterEach(ExtensionContext context) {
    if (Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread()) {
      Nd4j.getMemoryManager().setCurrentWorkspace(null);
      Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
      throw new AssertionError(
          "an ND4J workspace is still open after " + context.getDisplayName()
              + "; close every workspace scope in a finally block (try-with-resources)");
    }
  }
}
