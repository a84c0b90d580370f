package io.llt.cli;

import io.llt.engine.util.BuildInfo;
import picocli.CommandLine;

/** Entry point of {@code llt}; the only place that calls {@code System.exit}. */
public final class Main {
  private Main() {}

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    // Read the engine's version and commit now, from the jar this process started with: a rebuild
    // during a long run must not change what the run's summary says it was built from.
    BuildInfo.commit();
    System.exit(newCommandLine().execute(args));
  }

  /** Returns the configured command line (also used by tests). */
  public static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new RootCommand());
    cl.setExecutionExceptionHandler(new ErrorReporter());
    cl.setExitCodeExceptionMapper(new ErrorReporter());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }
}
