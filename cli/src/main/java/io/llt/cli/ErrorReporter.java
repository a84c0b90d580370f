package io.llt.cli;

import io.llt.engine.LltException;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.ParseResult;

/**
 * Maps exceptions to exit codes and prints them: our own exceptions as their one-line messages
 * (the stack trace only with {@code -v}), anything else as a bug with its stack trace.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IExitCodeExceptionMapper {
  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    boolean verbose = parsed != null && isVerbose(parsed);
    if (ex instanceof LltException) {
      err.println(cl.getColorScheme().errorText("error: ").toString() + ex.getMessage());
      if (verbose) {
        err.println(stackTrace(ex));
      }
    } else {
      err.println(
          cl.getColorScheme().errorText("internal error (a bug in llt, please report it): ").toString()
              + ex);
      err.println(stackTrace(ex));
    }
    err.flush();
    return getExitCode(ex);
  }

  @Override
  public int getExitCode(Throwable ex) {
    if (ex instanceof LltException) {
      return ((LltException) ex).exitCode();
    }
    if (ex instanceof CommandLine.ParameterException) {
      return ExitCodes.BAD_INPUT;
    }
    return ExitCodes.BUG;
  }

  private static boolean isVerbose(ParseResult parsed) {
    ParseResult p = parsed;
    while (p != null) {
      if (p.hasMatchedOption("-v")) {
        return true;
      }
      p = p.subcommand();
    }
    return false;
  }

  private static String stackTrace(Throwable t) {
    StringWriter sw = new StringWriter();
    t.printStackTrace(new PrintWriter(sw));
    return sw.toString();
  }
}
