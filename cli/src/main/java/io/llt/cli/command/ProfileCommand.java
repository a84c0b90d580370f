package io.llt.cli.command;

import io.llt.cli.mixin.DataOptions;
import io.llt.cli.report.ProfileReport;
import io.llt.cli.report.ReportWriter;
import io.llt.engine.BadInputException;
import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ConfigWriter;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.MemoryConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataFile;
import io.llt.engine.data.DataSplits;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.memory.MemoryEstimate;
import io.llt.engine.memory.MemoryPhase;
import io.llt.engine.memory.MemoryTracker;
import io.llt.engine.memory.NativeMemory;
import io.llt.engine.train.Evaluator;
import io.llt.engine.train.Experiment;
import io.llt.engine.train.Trainer;
import io.llt.engine.util.BuildInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code llt profile CONFIG}: trains the config's graph for a short budget with its local rule and
 * with the backprop baseline on the same graph, with per-block and per-phase memory tracking, and
 * writes the memory-profiling report ({@code report.json}, {@code report.md}, {@code report.html})
 * comparing the analytic estimate with the measurement. {@code --depths} adds a sweep over chains
 * of the config's last block repeated.
 *
 * <p>Native bytes are those the training holds: the process's ND4J native bytes (live arrays plus
 * workspaces) minus what it held before the graph was built (the dataset). Peaks cover the steady
 * state: the {@code --warmup} batches run first (workspaces learn their size), the garbage they
 * leave is collected, and the peaks are reset before the {@code --steps} measured batches and the
 * inference pass (spec auglocal-man-pipeline.md 7.2).
 */
@Command(
    name = "profile",
    mixinStandardHelpOptions = true,
    description = "Memory-profiling report: local rule vs backprop baseline, estimate vs measured.")
public final class ProfileCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "CONFIG", description = "Experiment YAML file.")
  Path config;

  @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a value (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--steps",
      defaultValue = "20",
      description = "Training batches measured per schedule, after the warm-up (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--warmup",
      defaultValue = "2",
      description = "Warm-up batches per schedule, before the peaks are reset (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--depths",
      split = ",",
      paramLabel = "N",
      description = "Also profile chains of the config's last block repeated N times, e.g. 2,4,8,16.")
  List<Integer> depths;

  @Option(
      names = "--baseline",
      paramLabel = "CONFIG",
      description =
          "The backprop baseline's own config (same data; trained under backprop), for rules whose"
              + " graph cannot itself be trained end to end (noprop). Default: CONFIG under backprop.")
  Path baseline;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where the report goes (default: runs/profile-<name>-<time>).")
  Path out;

  @Mixin DataOptions dataOptions;

  /** What one schedule's profile measured. */
  private record Measured(ProfileReport.ScheduleProfile profile, long activationAndWorkingBytes) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter log = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    if (steps <= 0 || warmup < 0) {
      throw new BadInputException("--steps must be > 0 and --warmup >= 0");
    }
    if (depths != null) {
      for (int i = 0; i < depths.size(); i++) {
        if (depths.get(i) <= 0 || (i > 0 && depths.get(i) <= depths.get(i - 1))) {
          throw new BadInputException(
              "--depths must be increasing positive block counts, e.g. 2,4,8,16; found " + depths);
        }
      }
    }
    Experiment experiment = new Experiment(TypeRegistry.load());
    ExperimentConfig base = experiment.load(config, overrides).config();
    RunSupport.rejectGraphRun(base, "profile");
    RunSupport.printMallocNote(log);
    if (base.trainer().schedule() == Schedule.BACKPROP || base.trainer().schedule() == Schedule.GREEDY) {
      throw new BadInputException(
          config + ": trainer.schedule is " + base.trainer().schedule().name().toLowerCase(Locale.ROOT)
              + "; profile a simultaneous or pipelined config (the backprop baseline is added)");
    }
    ExperimentConfig bp;
    if (baseline != null) {
      if (depths != null) {
        throw new BadInputException(
            "--depths repeats the config's last block under both schedules; it cannot be combined"
                + " with --baseline");
      }
      ExperimentConfig b = experiment.load(baseline, overrides).config();
      if (!b.data().equals(base.data())) {
        throw new BadInputException(
            baseline + ": the baseline's data must be " + config + "'s; found a different data"
                + " section");
      }
      bp = b.withTrainer(b.trainer().withSchedule(Schedule.BACKPROP));
    } else {
      bp = base.withTrainer(base.trainer().withSchedule(Schedule.BACKPROP));
      List<GraphBuilder.Issue> issues =
          new GraphBuilder(experiment.registry()).validate(bp, bp.inputShape());
      if (!issues.isEmpty()) {
        throw new BadInputException(
            config + ": cannot be its own backprop baseline (" + issues.get(0).path() + " "
                + issues.get(0).message() + "); pass --baseline with the baseline's config");
      }
    }
    DataSplits data =
        RunSupport.loadData(base, config.toAbsolutePath().getParent(), dataOptions.offline, log);
    experiment.checkMemoryBudget(base);
    Measured local = profile(experiment, base, data, log);
    Measured backprop = profile(experiment, bp, data, log);
    List<ProfileReport.DepthPoint> sweep = new ArrayList<>();
    if (depths != null) {
      for (int d : depths) {
        ExperimentConfig c = repeated(base, d);
        Measured l = profile(experiment, c, data, log);
        Measured b =
            profile(experiment, c.withTrainer(c.trainer().withSchedule(Schedule.BACKPROP)), data, log);
        sweep.add(
            new ProfileReport.DepthPoint(
                d, l.profile().peakNativeBytes(), b.profile().peakNativeBytes(),
                l.activationAndWorkingBytes()));
      }
    }
    Map<String, Object> machine = RunSupport.machine();
    Map<String, String> hashes = new TreeMap<>();
    for (DataFile f : data.files()) {
      hashes.put(f.path().getFileName().toString(), f.sha256());
    }
    ProfileReport report =
        new ProfileReport(
            new ProfileReport.Metadata(
                BuildInfo.version(),
                BuildInfo.commit(),
                Nd4j.getBackend().getClass().getSimpleName() + " (" + machine.get("cpu")
                    + ", OMP_NUM_THREADS=" + machine.get("ompNumThreads") + ")",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                new ConfigWriter(experiment.registry()).toYaml(base),
                hashes),
            local.profile(),
            backprop.profile(),
            sweep);
    Path dir = out != null ? out : defaultDir(base.name());
    ReportWriter.write(report, dir);
    long l = local.profile().peakNativeBytes();
    long b = backprop.profile().peakNativeBytes();
    stdout.printf(
        Locale.ROOT,
        "peak native (training): local %.1f MiB, backprop %.1f MiB, local/backprop %.1f%%%n",
        l / 1048576.0,
        b / 1048576.0,
        100.0 * l / b);
    stdout.println("report: " + dir.resolve(ReportWriter.HTML_FILE));
    return 0;
  }

  private static Path defaultDir(String name) {
    String stamp =
        OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return Path.of("runs", "profile-" + name + "-" + stamp);
  }

  /** The config with its model replaced by the last block repeated {@code depth} times. */
  static ExperimentConfig repeated(ExperimentConfig c, int depth) {
    List<BlockConfig> blocks = c.model().blocks();
    BlockConfig last = blocks.get(blocks.size() - 1);
    List<BlockConfig> out = new ArrayList<>();
    for (int i = 0; i < depth; i++) {
      out.add(new BlockConfig("b" + (i + 1), last.layers(), last.rule(), last.optimizer()));
    }
    return c.withModel(new ModelConfig(c.model().input(), c.model().rule(), out));
  }

  private Measured profile(
      Experiment experiment, ExperimentConfig config, DataSplits data, PrintWriter log) {
    ExperimentConfig c =
        config.withMemory(new MemoryConfig(true, config.memory().budgetBytes()));
    List<GraphBuilder.Issue> issues =
        new GraphBuilder(experiment.registry()).validate(c, c.inputShape());
    if (!issues.isEmpty()) {
      throw new BadInputException(
          "--depths: the config's last block cannot be repeated: " + issues.get(0).path() + " "
              + issues.get(0).message());
    }
    String schedule = c.trainer().schedule().name().toLowerCase(Locale.ROOT);
    int batch = c.trainer().batchSize();
    MemoryEstimate estimate =
        MemoryEstimate.of(c, c.inputShape(), c.data().numClasses(), experiment.registry());
    long baseline = settledNativeBytes();
    List<MemoryPoolMXBean> heap = heapPools();
    heap.forEach(MemoryPoolMXBean::resetPeakUsage);
    try (BlockGraph graph =
        new GraphBuilder(experiment.registry())
            .build(c, c.inputShape(), c.data().numClasses(), Experiment.dataType(c))) {
      Trainer trainer = new Trainer(c, graph, data, null, null, null);
      if (warmup > 0) {
        trainer.trainEpoch(0, warmup);
      }
      // steady state: drop what the warm-up's workspace learning left for the GC, then measure
      settledNativeBytes();
      trainer.tracker().resetPeaks();
      Trainer.EpochRun run = trainer.trainEpoch(1, steps);
      Evaluator.evaluate(
          graph, graph.blocks().size(), data.test(), c.trainer().evalBatchSize(), trainer.tracker());
      MemoryTracker t = trainer.tracker();
      List<ProfileReport.BlockMemory> blocks = new ArrayList<>();
      for (int i = 0; i < graph.blocks().size(); i++) {
        Block b = graph.blocks().get(i);
        Map<ProfileReport.Phase, Long> phases = new EnumMap<>(ProfileReport.Phase.class);
        for (MemoryPhase p : MemoryPhase.values()) {
          phases.put(ProfileReport.Phase.valueOf(p.name()), t.peakBytes(i, p));
        }
        MemoryEstimate.BlockEstimate e =
            c.trainer().schedule() == Schedule.BACKPROP ? estimate.backprop() : estimate.blocks().get(i);
        // like for like: both sides are the block's fixed bytes plus its training step's workspace
        long measured =
            Math.max(t.peakBytes(i, MemoryPhase.FORWARD), t.peakBytes(i, MemoryPhase.UPDATE));
        blocks.add(
            new ProfileReport.BlockMemory(
                b.id(), e.fixedBytes(), e.fixedBytes() + e.workspaceBytes(batch), measured, phases));
      }
      List<ProfileReport.NativeSample> samples = new ArrayList<>();
      for (MemoryTracker.Sample s : t.samples()) {
        samples.add(
            new ProfileReport.NativeSample(s.elapsedMillis(), Math.max(0, s.nativeBytes() - baseline)));
      }
      long peak = Math.max(0, t.peakNativeBytes() - baseline);
      long heapPeak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
      long params = 0;
      for (Block b : graph.blocks()) {
        params += b.fixedBytes();
      }
      long estimated =
          c.trainer().schedule() == Schedule.BACKPROP
              ? estimate.backpropPeakBytes(batch)
              : estimate.residentBytes(batch);
      log.printf(
          Locale.ROOT,
          "%-13s %2d blocks  peak native %8.1f MiB (estimate %8.1f MiB)  %7.0f samples/s%n",
          schedule,
          graph.blocks().size(),
          peak / 1048576.0,
          estimated / 1048576.0,
          run.samples() / run.seconds());
      log.flush();
      return new Measured(
          new ProfileReport.ScheduleProfile(
              schedule, peak, heapPeak, run.samples() / run.seconds(), steps, blocks, samples),
          Math.max(0, peak - params));
    }
  }

  private static List<MemoryPoolMXBean> heapPools() {
    List<MemoryPoolMXBean> out = new ArrayList<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        out.add(p);
      }
    }
    return out;
  }

  private static long settledNativeBytes() {
    for (int i = 0; i < 2; i++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return NativeMemory.nativeBytes();
  }
}
