package io.llt.cli;

import io.llt.cli.command.BenchCommand;
import io.llt.cli.command.DataCommand;
import io.llt.cli.command.EvalCommand;
import io.llt.cli.command.ListCommand;
import io.llt.cli.command.ProfileCommand;
import io.llt.cli.command.TrainCommand;
import io.llt.cli.command.ValidateCommand;
import io.llt.engine.util.BuildInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** The {@code llt} command: trains networks block by block with local learning rules. */
@Command(
    name = "llt",
    mixinStandardHelpOptions = true,
    versionProvider = RootCommand.Version.class,
    description = "Local-learning training engine: train networks block by block without end-to-end backprop.",
    subcommands = {
      TrainCommand.class,
      EvalCommand.class,
      ValidateCommand.class,
      ListCommand.class,
      BenchCommand.class,
      ProfileCommand.class,
      DataCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:a bug in llt",
      "2:bad input (config, data, arguments)",
      "3:training diverged (NaN/Inf loss)",
      "4:memory budget exceeded"
    })
public final class RootCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Prints the engine version and commit. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"llt " + BuildInfo.version() + " (" + BuildInfo.commit() + ")"};
    }
  }
}
