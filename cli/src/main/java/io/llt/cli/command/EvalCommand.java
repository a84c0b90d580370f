package io.llt.cli.command;

import io.llt.engine.BadInputException;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataSplits;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.train.ActivityProbe;
import io.llt.engine.train.BlockProbe;
import io.llt.engine.train.Checkpoints;
import io.llt.engine.train.Evaluator;
import io.llt.engine.train.Experiment;
import io.llt.engine.train.RunDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import io.llt.cli.mixin.DataOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llt eval RUN_DIR|CHECKPOINT}: evaluates a trained run with its rules' own inference. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Evaluate a run's last checkpoint (or a given checkpoint) on the test split.")
public final class EvalCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "RUN_DIR|CHECKPOINT", description = "A run directory or a .ckpt file.")
  Path target;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Option(
      names = "--activity",
      paramLabel = "N",
      arity = "0..1",
      fallbackValue = "2000",
      description =
          "Also measure each block's output on the first N test examples (default ${FALLBACK-VALUE}):"
              + " per row group, the fraction of silent rows (no entry above zero), entries above"
              + " zero per row, and the mean square.")
  Integer activity;

  @Option(
      names = "--per-block",
      paramLabel = "N",
      arity = "0..1",
      fallbackValue = "10000",
      description =
          "Also measure each block's own accuracy on the first N test examples (default"
              + " ${FALLBACK-VALUE}): every class score a block's rule reports (Mono-Forward's"
              + " projection, an auxiliary head; NoProp: its prediction on each sampling chain and"
              + " at its own training noise level, drawn from the true label).")
  Integer perBlock;

  @Mixin DataOptions dataOptions;


  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Path runPath;
    Path ckpt;
    if (Files.isRegularFile(target) && target.toString().endsWith(".ckpt")) {
      ckpt = target;
      runPath = target.toAbsolutePath().getParent().getParent();
    } else {
      runPath = target;
      if (!Files.isRegularFile(runPath.resolve(RunDirectory.CONFIG))) {
        throw new BadInputException(
            target + ": not a run directory (no config.yaml) and not a .ckpt file");
      }
      ckpt =
          new RunDirectory(runPath)
              .latestCheckpoint()
              .orElseThrow(
                  () -> new BadInputException(runPath + ": has no checkpoint yet; train it first"));
    }
    Experiment experiment = new Experiment(TypeRegistry.load());
    ExperimentConfig c = experiment.load(runPath.resolve(RunDirectory.CONFIG), List.of()).config();
    RunSupport.rejectGraphRun(c, "eval");
    Path configDir = RunSupport.configDir(runPath);
    PrintWriter log = json ? spec.commandLine().getErr() : out;
    DataSplits data = RunSupport.loadData(c, configDir, dataOptions.offline, log);
    try (BlockGraph graph =
        new GraphBuilder(experiment.registry())
            .build(c, c.inputShape(), c.data().numClasses(), Experiment.dataType(c))) {
      int epochs = Checkpoints.restore(ckpt, graph);
      int bs = c.trainer().evalBatchSize();
      Evaluator.Accuracy test = Evaluator.evaluate(graph, graph.blocks().size(), data.test(), bs);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("checkpoint", ckpt.toString());
      r.put("epochsCompleted", epochs);
      r.put("readout", test.headlineName());
      r.put("testAccuracy", test.headline());
      r.put("testReadouts", test.readouts());
      if (data.validation() != null) {
        Evaluator.Accuracy v =
            Evaluator.evaluate(graph, graph.blocks().size(), data.validation(), bs);
        r.put("validationAccuracy", v.headline());
      }
      List<ActivityProbe.BlockActivity> blockActivity = null;
      if (activity != null) {
        if (activity <= 0) {
          throw new BadInputException("--activity: give a positive number of examples, not " + activity);
        }
        blockActivity = ActivityProbe.measure(graph, data.test(), bs, activity);
        r.put("activityExamples", Math.min(activity, data.test().size()));
        r.put("activity", blockActivity);
      }
      List<BlockProbe.BlockAccuracy> blockAccuracy = null;
      if (perBlock != null) {
        if (perBlock <= 0) {
          throw new BadInputException(
              "--per-block: give a positive number of examples, not " + perBlock);
        }
        blockAccuracy = BlockProbe.measure(graph, data.test(), bs, perBlock);
        r.put("perBlockExamples", Math.min(perBlock, data.test().size()));
        r.put("perBlock", blockAccuracy);
      }
      if (json) {
        out.println(RunDirectory.toJson(r));
      } else {
        out.printf(Locale.ROOT, "checkpoint: %s (after epoch %d)%n", ckpt, epochs);
        out.printf(
            Locale.ROOT,
            "test accuracy %.4f (readout %s); %s%n",
            test.headline(),
            r.get("readout"),
            RunSupport.describeReadouts(test.readouts()));
        if (r.containsKey("validationAccuracy")) {
          out.printf(Locale.ROOT, "validation accuracy %.4f%n", r.get("validationAccuracy"));
        }
        if (blockActivity != null) {
          out.printf(Locale.ROOT, "activity on %d test examples (group: silent rows, entries > 0 per row, mean square):%n", r.get("activityExamples"));
          for (ActivityProbe.BlockActivity b : blockActivity) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-10s width %d:", b.block(), b.width()));
            for (ActivityProbe.Group g : b.groups()) {
              line.append(String.format(Locale.ROOT, "  %d: %.1f%% %.1f %.3g", g.group(), 100 * g.silentRows(), g.meanActive(), g.meanSquare()));
            }
            out.println(line);
          }
        }
        if (blockAccuracy != null) {
          out.printf(
              Locale.ROOT, "per-block accuracy on %d test examples:%n", r.get("perBlockExamples"));
          for (BlockProbe.BlockAccuracy b : blockAccuracy) {
            out.printf(
                Locale.ROOT,
                "  %-10s %s%n",
                b.block(),
                b.accuracy().isEmpty() ? "(no scores)" : RunSupport.describeReadouts(b.accuracy()));
          }
        }
      }
    }
    return 0;
  }
}
