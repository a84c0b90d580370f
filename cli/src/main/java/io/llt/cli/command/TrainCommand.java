package io.llt.cli.command;

import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.train.GraphTrainer;

import io.llt.cli.progress.ProgressListener;
import io.llt.engine.BadInputException;
import io.llt.engine.config.ConfigWriter;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.LoadedConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataSplits;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.memory.MemoryProbe;
import io.llt.engine.train.Checkpoints;
import io.llt.engine.train.Experiment;
import io.llt.engine.train.RunDirectory;
import io.llt.engine.train.Trainer;
import io.llt.engine.train.TrainingResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import io.llt.cli.mixin.DataOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llt train CONFIG [--set k=v]...} or {@code llt train --resume RUN_DIR}. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = "Train the network of a config, or resume a run from its last checkpoint.")
public final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "CONFIG", description = "Experiment YAML file.")
  Path config;

  @Option(
      names = "--set",
      paramLabel = "PATH=VALUE",
      description = "Override a config value, e.g. --set trainer.epochs=3 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue this run.")
  Path resume;

  @Option(
      names = "--runs-dir",
      paramLabel = "DIR",
      defaultValue = "runs",
      description = "Where run directories are created (default: ${DEFAULT-VALUE}).")
  Path runsDir;

  @Mixin DataOptions dataOptions;


  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if ((config == null) == (resume == null)) {
      throw new ParameterException(
          spec.commandLine(), "give either CONFIG or --resume RUN_DIR (not both)");
    }
    if (resume != null && !overrides.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(), "--set cannot change a resumed run; start a new run instead");
    }
    Experiment experiment = new Experiment(TypeRegistry.load());
    LoadedConfig<ExperimentConfig> loaded;
    Path configDir;
    if (resume != null) {
      if (!Files.isRegularFile(resume.resolve(RunDirectory.CONFIG))) {
        throw new BadInputException(
            resume + ": not a run directory (no " + RunDirectory.CONFIG + "); pass runs/<name>-<time>");
      }
      loaded = experiment.load(resume.resolve(RunDirectory.CONFIG), List.of());
      configDir = RunSupport.configDir(resume);
    } else {
      loaded = experiment.load(config, overrides);
      configDir = config.toAbsolutePath().getParent();
    }
    ExperimentConfig c = loaded.config();
    RunSupport.printMallocNote(spec.commandLine().getErr());
    String warning = RunSupport.threadWarning(c);
    if (warning != null) {
      spec.commandLine().getErr().println(warning);
    }
    for (String w : experiment.warnings(c)) {
      spec.commandLine().getErr().println("warning: " + w);
    }
    for (String n : experiment.notes(c)) {
      out.println("note: " + n);
    }
    if (Experiment.graphMode(c)) {
      if (resume != null && c.trainer().schedule() != io.llt.engine.config.Schedule.GREEDY) {
        throw new BadInputException(
            resume + ": only greedy full-graph runs resume (block by block); a "
                + c.trainer().schedule().name().toLowerCase(Locale.ROOT)
                + " run keeps early-stopping state that is not checkpointed; start a new run");
      }
      return trainGraph(experiment, c, configDir, out);
    }
    DataSplits data = RunSupport.loadData(c, configDir, dataOptions.offline, out);
    experiment.checkMemoryBudget(c);
    RunDirectory runDir = openRun(experiment, c, configDir);
    try (MemoryProbe probe = MemoryProbe.start(5);
        BlockGraph graph =
            new GraphBuilder(experiment.registry())
                .build(c, c.inputShape(), c.data().numClasses(), Experiment.dataType(c))) {
      boolean interactive = System.console() != null;
      // built before the checkpoint is restored: building prepares data-dependent rule state
      // (RuleState#prepare), which the checkpoint then overwrites
      Trainer trainer =
          new Trainer(
              c,
              graph,
              data,
              runDir,
              new ProgressListener(out, interactive, RunSupport.blockIds(graph)),
              probe);
      int start = 0;
      if (resume != null) {
        Optional<Path> ckpt = runDir.latestCheckpoint();
        if (ckpt.isPresent()) {
          start = Checkpoints.restore(ckpt.get(), graph);
          out.println("resuming after epoch " + start + " from " + ckpt.get());
        } else {
          out.println("no checkpoint in " + runDir.path() + "; starting from epoch 1");
        }
        runDir.truncateMetrics(start);
      }
      out.printf(
          Locale.ROOT,
          "model: %d blocks, %d parameters; rule %s; schedule %s; batch %d%n",
          graph.blocks().size(),
          graph.numParams(),
          RunSupport.ruleIds(c, experiment.registry()),
          c.trainer().schedule().name().toLowerCase(Locale.ROOT),
          c.trainer().batchSize());
      out.flush();
      TrainingResult r = trainer.fit(start);
      runDir.writeSummary(
          RunSupport.summary(c, experiment.registry(), data, graph, r, start));
      out.printf(
          Locale.ROOT,
          "test accuracy %.4f (%s)  %.0f samples/s  peak native %.1f MiB  %.1fs%n",
          r.testAccuracy(),
          RunSupport.describeReadouts(r.testReadouts()),
          r.samplesPerSecond(),
          r.peakNativeBytes() / (1024.0 * 1024.0),
          r.wallSeconds());
      out.println("summary: " + runDir.path().resolve(RunDirectory.SUMMARY));
    }
    return 0;
  }

  /** A full-graph run: load the graph, train every block on it, write the summary. */
  private int trainGraph(
      Experiment experiment, ExperimentConfig c, Path configDir, PrintWriter out)
      throws IOException {
    boolean resuming = resume != null;
    NodeGraph data = RunSupport.loadGraph(c, configDir, dataOptions.offline, out);
    try (BlockGraph graph =
        new GraphBuilder(experiment.registry())
            .build(c, c.inputShape(), c.data().numClasses(), Experiment.dataType(c))) {
      RunDirectory runDir = openRun(experiment, c, configDir);
      GraphTrainer.Progress done = resuming ? GraphTrainer.readProgress(runDir) : null;
      if (resuming) {
        if (done == null) {
          out.println("no finished block in " + runDir.path() + "; starting from the first block");
          runDir.truncateMetrics(0);
        } else {
          Path ckpt = runDir.checkpointPath(done.epochsCompleted());
          for (int i = 0; i < done.blocks().size(); i++) {
            String id = done.blocks().get(i).blockId();
            if (i >= graph.blocks().size() || !graph.blocks().get(i).id().equals(id)) {
              throw new BadInputException(
                  runDir.path().resolve(GraphTrainer.PROGRESS) + ": finished block " + (i + 1)
                      + " is '" + id + "' but the run's config has "
                      + (i < graph.blocks().size() ? "'" + graph.blocks().get(i).id() + "'" : "no such block")
                      + " there; the config changed since the run started; start a new run");
            }
          }
          if (!Files.isRegularFile(ckpt)) {
            throw new BadInputException(
                runDir.path().resolve(GraphTrainer.PROGRESS) + " names " + ckpt
                    + ", which does not exist; start a new run");
          }
          Checkpoints.restore(ckpt, graph);
          runDir.truncateMetrics(done.epochsCompleted());
          out.println(
              "resuming after block " + done.blocks().get(done.blocks().size() - 1).blockId()
                  + " (" + done.epochsCompleted() + " epochs) from " + ckpt);
        }
      }
      out.printf(
          Locale.ROOT,
          "model: %d blocks, %d parameters; rule %s; schedule %s; full graph, at most %d epochs"
              + " per %s%s%n",
          graph.blocks().size(),
          graph.numParams(),
          RunSupport.ruleIds(c, experiment.registry()),
          c.trainer().schedule().name().toLowerCase(Locale.ROOT),
          c.trainer().epochs(),
          c.trainer().schedule() == io.llt.engine.config.Schedule.GREEDY ? "block" : "run",
          c.trainer().patience() == null
              ? ""
              : ", early stopping after " + c.trainer().patience() + " validations");
      out.flush();
      boolean interactive = System.console() != null;
      GraphTrainer.Result r =
          new GraphTrainer(
                  c, graph, data, runDir,
                  new ProgressListener(out, interactive, RunSupport.blockIds(graph)))
              .fit(done);
      runDir.writeSummary(RunSupport.graphSummary(c, experiment.registry(), data, graph, r));
      for (GraphTrainer.BlockOutcome o : r.blocks()) {
        out.printf(
            Locale.ROOT,
            "  %s: %d epochs, kept epoch %d: validation %.4f test %.4f  peak step %.1f MiB%n",
            o.blockId(), o.epochs(), o.bestEpoch(), o.validationAccuracy(), o.testAccuracy(),
            o.peakStepBytes() / (1024.0 * 1024.0));
      }
      out.printf(
          Locale.ROOT,
          "test accuracy %.4f  validation %.4f  peak native %.1f MiB  %.1fs%n",
          r.testAccuracy(),
          r.validationAccuracy(),
          r.peakNativeBytes() / (1024.0 * 1024.0),
          r.wallSeconds());
      out.println("summary: " + runDir.path().resolve(RunDirectory.SUMMARY));
    } finally {
      data.features().close();
    }
    return 0;
  }

  /**
   * Opens the run directory: a resumed run's as it is; a new run's is created, with its resolved
   * config and source, only now, once the data have loaded (and, for block-chain runs, the memory
   * budget is checked), so that a config the data reject leaves no run behind. The new run's name
   * is claimed with an atomic create, so runs started in the same second get distinct directories.
   */
  private RunDirectory openRun(Experiment experiment, ExperimentConfig c, Path configDir)
      throws IOException {
    if (resume != null) {
      spec.commandLine().getOut().println("run: " + resume);
      return new RunDirectory(resume);
    }
    Path claimed = claimRunPath(runsDir, c.name());
    RunDirectory runDir = new RunDirectory(claimed);
    runDir.writeAtomically(RunDirectory.CONFIG, new ConfigWriter(experiment.registry()).toYaml(c));
    runDir.writeAtomically(RunSupport.SOURCE, configDir + "\n");
    spec.commandLine().getOut().println("run: " + claimed);
    return runDir;
  }

  /** Creates and returns {@code runsDir/<name>-<time>}, with a suffix if that exists already. */
  static Path claimRunPath(Path runsDir, String name) throws IOException {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Files.createDirectories(runsDir);
    Path p = runsDir.resolve(name + "-" + stamp);
    for (int i = 2; ; i++) {
      try {
        return Files.createDirectory(p);
      } catch (FileAlreadyExistsException e) {
        p = runsDir.resolve(name + "-" + stamp + "-" + i);
      }
    }
  }
}
