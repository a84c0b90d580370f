package io.llt.engine.config;

import io.llt.engine.LltException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when a config file or an override is invalid; carries every problem found, not just the
 * first. The message has one problem per line. The command line maps it to exit code 2.
 */
public final class ConfigException extends LltException {
  private static final long serialVersionUID = 1L;

  /** The process exit code for invalid user input. */
  public static final int EXIT_CODE = 2;

  private final transient List<ConfigProblem> problems;

  /**
   * Creates the exception.
   *
   * @param problems every problem found, at least one, in the order to show them
   */
  public ConfigException(List<ConfigProblem> problems) {
    super(join(problems), EXIT_CODE);
    this.problems = List.copyOf(problems);
  }

  /** Returns every problem, in the order they are shown. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String join(List<ConfigProblem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    return problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n"));
  }
}
