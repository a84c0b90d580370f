package io.llt.cli.command;

import io.llt.engine.config.ConfigException;
import io.llt.engine.config.ConfigProblem;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.train.Experiment;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llt validate CONFIG...}: checks configs completely and prints every problem. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = "Check configs without training; print every problem of every file.")
public final class ValidateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "CONFIG", description = "Experiment YAML files.")
  List<Path> configs;

  @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a value (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Experiment experiment = new Experiment(TypeRegistry.load());
    int bad = 0;
    for (Path p : configs) {
      try {
        var loaded = experiment.load(p, overrides);
        out.println("ok      " + p);
        for (String w : experiment.warnings(loaded.config())) {
          out.println("warning " + p + ": " + w);
        }
        for (String n : experiment.notes(loaded.config())) {
          out.println("note    " + p + ": " + n);
        }
      } catch (ConfigException e) {
        bad++;
        for (ConfigProblem problem : e.problems()) {
          err.println(problem);
        }
      }
    }
    out.flush();
    err.flush();
    if (bad > 0) {
      err.println(bad + " of " + configs.size() + " config(s) invalid");
      return 2;
    }
    return 0;
  }
}
