package io.llt.cli.command;

import io.llt.engine.BadInputException;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataSplits;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.memory.MemoryProbe;
import io.llt.engine.memory.NativeMemory;
import io.llt.engine.train.Experiment;
import io.llt.engine.train.PipelineStats;
import io.llt.engine.train.RunDirectory;
import io.llt.engine.train.Trainer;
import io.llt.engine.util.BuildInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
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

/**
 * {@code llt bench CONFIG}: training throughput (samples/s) and peak native memory of the config's
 * graph under each requested schedule, on the same data, batch size and thread count.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure training samples/s and peak native memory per schedule (JSON).")
public final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "CONFIG", description = "Experiment YAML file.")
  Path config;

  @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a value (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--schedules",
      split = ",",
      paramLabel = "S",
      description = "Schedules to measure (default: the config's, then backprop).")
  List<Schedule> schedules;

  @Option(names = "--warmup", defaultValue = "20", description = "Warm-up batches, or with --conv warm-up runs of each layer (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--batches", defaultValue = "200", description = "Timed batches (default: ${DEFAULT-VALUE}).")
  int batches;

  @Option(names = "--repeats", defaultValue = "3", description = "Timed repetitions per schedule, interleaved across schedules; the median is reported (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--output", paramLabel = "FILE", description = "Also write the JSON here.")
  Path output;

  @Option(
      names = "--conv",
      description =
          "Instead of training throughput: forward and backward GFLOP/s of every conv2d layer at"
              + " --batch, against the machine's GEMM rate (square 1024^3 and each layer's shape);"
              + " --repeats timed runs after --warmup warm-up runs, median. A layer on the"
              + " per-example sgemm path is also timed on the batch GEMM.")
  boolean conv;

  @Option(names = "--batch", paramLabel = "N", description = "With --conv: the batch size (default: trainer.batchSize).")
  Integer convBatch;

  @Mixin DataOptions dataOptions;


  /**
   * The pipelined schedule's per-stage figures of one timed repetition (the median's): each
   * stage's blocks, busy and idle milliseconds per batch, the mean and largest queue occupancy,
   * the sequential sum of stage times against the pipeline's time per batch, and the efficiency
   * (the first over stages times the second).
   */
  private static Map<String, Object> pipelineReport(PipelineStats ps, List<String> blockIds) {
    Map<String, Object> p = new LinkedHashMap<>();
    double nb = Math.max(1, ps.batches());
    List<Map<String, Object>> stages = new ArrayList<>();
    for (int st = 0; st < ps.stages(); st++) {
      Map<String, Object> one = new LinkedHashMap<>();
      int from = ps.stageFirstBlocks()[st];
      int to = st + 1 < ps.stages() ? ps.stageFirstBlocks()[st + 1] : blockIds.size();
      one.put("blocks", blockIds.subList(from, to));
      one.put("busyMsPerBatch", 1000 * ps.stageBusySeconds()[st] / nb);
      one.put("idleMsPerBatch", 1000 * ps.stageIdleSeconds()[st] / nb);
      if (st + 1 < ps.stages()) {
        one.put("meanQueueOccupancyAfter", ps.meanQueueOccupancy()[st]);
      }
      stages.add(one);
    }
    p.put("stages", stages);
    p.put("batches", ps.batches());
    p.put("queueCapacity", ps.queueCapacity());
    p.put("maxQueueOccupancy", ps.maxQueueOccupancy());
    p.put("sequentialMsPerBatch", 1000 * ps.sequentialSeconds() / nb);
    p.put("pipelineMsPerBatch", 1000 * ps.wallSeconds() / nb);
    p.put("efficiency", ps.efficiency());
    return p;
  }

  private static BlockGraph build(Experiment experiment, ExperimentConfig c) {
    return new GraphBuilder(experiment.registry())
        .build(c, c.inputShape(), c.data().numClasses(), Experiment.dataType(c));
  }

  private int convRates(Experiment experiment, ExperimentConfig base, PrintWriter out, PrintWriter log)
      throws IOException {
    int batch = convBatch != null ? convBatch : base.trainer().batchSize();
    if (batch <= 0) {
      throw new BadInputException("--batch must be > 0");
    }
    ExperimentConfig c = base.withTrainer(base.trainer().withSchedule(Schedule.SIMULTANEOUS));
    List<Map<String, Object>> layers;
    double square;
    try (BlockGraph g = build(experiment, c)) {
      square = ConvBench.gemmRate(1024, 1024, 1024, g.blocks().get(0).dataType(), 2, repeats);
      layers = ConvBench.run(g, batch, warmup, repeats);
    }
    if (layers.isEmpty()) {
      throw new BadInputException(config + ": --conv: the model has no conv2d layer");
    }
    log.printf(Locale.ROOT, "GEMM 1024^3: %.1f GFLOP/s%n", square);
    for (Map<String, Object> m : layers) {
      for (String rate : List.of("forward", "backward", "batchGemmForward", "batchGemmBackward")) {
        if (m.containsKey(rate + "Gflops")) {
          m.put(rate + "FractionOfSquareGemm", (Double) m.get(rate + "Gflops") / square);
        }
      }
      log.printf(
          Locale.ROOT,
          "%-8s %-14s fwd %8.2f ms %6.1f GFLOP/s (%3.0f%%)  bwd %8.2f ms %6.1f GFLOP/s (%3.0f%%)"
              + "  same-shape GEMM %6.1f GFLOP/s%n",
          m.get("block"), m.get("inputShape"), m.get("forwardMs"), m.get("forwardGflops"),
          100 * (Double) m.get("forwardFractionOfSquareGemm"), m.get("backwardMs"),
          m.get("backwardGflops"), 100 * (Double) m.get("backwardFractionOfSquareGemm"),
          m.get("sameShapeGemmGflops"));
      if (m.containsKey("batchGemmForwardMs")) {
        log.printf(
            Locale.ROOT,
            "%-8s (per-example sgemm; on the batch GEMM: fwd %8.2f ms (%3.0f%%)  bwd %8.2f ms (%3.0f%%);"
                + " Y for a Hebbian rule %.2f ms)%n",
            m.get("block"), m.get("batchGemmForwardMs"),
            100 * (Double) m.get("batchGemmForwardFractionOfSquareGemm"),
            m.get("batchGemmBackwardMs"),
            100 * (Double) m.get("batchGemmBackwardFractionOfSquareGemm"), m.get("responsesMs"));
      }
    }
    log.flush();
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("config", config.toString());
    report.put("name", base.name());
    report.put("batch", batch);
    report.put("warmup", warmup);
    report.put("repeats", repeats);
    report.put("squareGemmGflops", square);
    report.put("layers", layers);
    report.put("engineVersion", BuildInfo.version());
    report.put("engineCommit", BuildInfo.commit());
    report.put("date", RunSupport.now());
    report.put("machine", RunSupport.machine());
    String text = RunDirectory.toJson(report);
    out.println(text);
    if (output != null) {
      if (output.toAbsolutePath().getParent() != null) {
        java.nio.file.Files.createDirectories(output.toAbsolutePath().getParent());
      }
      RunDirectory.writeAtomically(output, text + "\n");
    }
    return 0;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter log = spec.commandLine().getErr();
    if (warmup < 0 || batches <= 0 || repeats <= 0) {
      throw new BadInputException("--warmup must be >= 0, --batches and --repeats > 0");
    }
    Experiment experiment = new Experiment(TypeRegistry.load());
    ExperimentConfig base = experiment.load(config, overrides).config();
    RunSupport.rejectGraphRun(base, "bench");
    RunSupport.printMallocNote(log);
    if (conv) {
      return convRates(experiment, base, out, log);
    }
    List<Schedule> todo = schedules;
    boolean defaults = todo == null || todo.isEmpty();
    if (defaults) {
      todo = new ArrayList<>(List.of(base.trainer().schedule()));
      if (base.trainer().schedule() != Schedule.BACKPROP) {
        todo.add(Schedule.BACKPROP);
      }
    }
    for (Schedule s : new ArrayList<>(todo)) {
      ExperimentConfig c = base.withTrainer(base.trainer().withSchedule(s));
      List<GraphBuilder.Issue> issues =
          new GraphBuilder(experiment.registry()).validate(c, c.inputShape());
      if (issues.isEmpty()) {
        continue;
      }
      String why = issues.get(0).path() + " " + issues.get(0).message();
      if (defaults && s == Schedule.BACKPROP) {
        log.println("backprop not measured: " + why + "; bench the baseline's own config");
        todo.remove(s);
      } else {
        throw new BadInputException(config + ": cannot bench schedule " + s.name().toLowerCase(java.util.Locale.ROOT) + ": " + why);
      }
    }
    if (todo.contains(Schedule.GREEDY)) {
      throw new BadInputException(
          "--schedules: greedy trains one block at a time, so it has no whole-network step to time;"
              + " bench simultaneous and backprop");
    }
    DataSplits data = RunSupport.loadData(base, config.toAbsolutePath().getParent(), dataOptions.offline, log);
    // Phase 1, per schedule alone: peak native memory over the warm-up (only that graph alive).
    List<ExperimentConfig> configs = new ArrayList<>();
    List<Long> peaks = new ArrayList<>();
    List<Long> baselines = new ArrayList<>();
    for (Schedule s : todo) {
      ExperimentConfig c = base.withTrainer(base.trainer().withSchedule(s));
      configs.add(c);
      String warning = RunSupport.threadWarning(c);
      if (warning != null) {
        log.println(warning);
      }
      System.gc();
      baselines.add(NativeMemory.nativeBytes());
      try (MemoryProbe probe = MemoryProbe.start(2);
          BlockGraph graph = build(experiment, c)) {
        new Trainer(c, graph, data, null, null, probe).trainEpoch(0, Math.max(1, warmup));
        peaks.add(probe.peakNativeBytes());
      }
    }
    // Phase 2: timed repetitions interleaved across schedules (A, B, A, B, ...), so that drift in
    // the machine's speed hits every schedule alike; the median of each is reported.
    List<BlockGraph> graphs = new ArrayList<>();
    List<List<Double>> rates = new ArrayList<>();
    List<List<PipelineStats>> stageStats = new ArrayList<>();
    List<List<String>> blockIds = new ArrayList<>();
    List<Long> params = new ArrayList<>();
    try {
      for (ExperimentConfig c : configs) {
        BlockGraph g = build(experiment, c);
        graphs.add(g);
        params.add(g.numParams());
        rates.add(new ArrayList<>());
        stageStats.add(new ArrayList<>());
        blockIds.add(RunSupport.blockIds(g));
        if (warmup > 0) {
          new Trainer(c, g, data, null, null, null).trainEpoch(0, warmup);
        }
      }
      for (int r = 0; r < repeats; r++) {
        for (int i = 0; i < configs.size(); i++) {
          Trainer t = new Trainer(configs.get(i), graphs.get(i), data, null, null, null);
          Trainer.EpochRun run = t.trainEpoch(r + 1, batches);
          rates.get(i).add(run.samples() / run.seconds());
          stageStats.get(i).add(t.lastPipelineStats());
        }
      }
    } finally {
      graphs.forEach(BlockGraph::close);
    }
    List<Map<String, Object>> results = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      ExperimentConfig c = configs.get(i);
      List<Double> sorted = new ArrayList<>(rates.get(i));
      sorted.sort(Double::compare);
      double median = sorted.get(sorted.size() / 2);
      int medianRun = rates.get(i).indexOf(median);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("schedule", c.trainer().schedule().name().toLowerCase(Locale.ROOT));
      m.put("rule", RunSupport.ruleIds(c, experiment.registry()));
      m.put("samplesPerSecond", median);
      m.put("samplesPerSecondRuns", rates.get(i));
      m.put("msPerBatch", 1000.0 * c.trainer().batchSize() / median);
      m.put("peakNativeBytes", peaks.get(i));
      m.put("baselineNativeBytes", baselines.get(i));
      m.put("parameters", params.get(i));
      PipelineStats ps = stageStats.get(i).get(medianRun);
      if (c.trainer().schedule() == Schedule.PIPELINED && ps != null) {
        m.put("pipeline", pipelineReport(ps, blockIds.get(i)));
      }
      results.add(m);
      log.printf(
          Locale.ROOT,
          "%-13s %9.0f samples/s  %7.2f ms/batch  peak native %.1f MiB%n",
          m.get("schedule"),
          median,
          m.get("msPerBatch"),
          peaks.get(i) / (1024.0 * 1024.0));
    }
    log.flush();
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("config", config.toString());
    report.put("name", base.name());
    report.put("batchSize", base.trainer().batchSize());
    report.put("warmupBatches", warmup);
    report.put("timedBatches", batches);
    report.put("repeats", repeats);
    report.put(
        "memoryNote",
        "peakNativeBytes: native high-water mark (live ND4J arrays outside workspaces plus workspace"
            + " reservations, dataset included) over each schedule's warm-up with only its graph alive;"
            + " baselineNativeBytes: the same counter just before that graph was built");
    report.put("results", results);
    if (results.size() >= 2) {
      double a = (Double) results.get(0).get("samplesPerSecond");
      double b = (Double) results.get(results.size() - 1).get("samplesPerSecond");
      report.put("throughputRatio", a / b);
      report.put(
          "throughputRatioOf",
          results.get(0).get("schedule") + "/" + results.get(results.size() - 1).get("schedule"));
    }
    report.put("engineVersion", BuildInfo.version());
    report.put("engineCommit", BuildInfo.commit());
    report.put("date", RunSupport.now());
    report.put("machine", RunSupport.machine());
    String text = RunDirectory.toJson(report);
    out.println(text);
    if (output != null) {
      if (output.toAbsolutePath().getParent() != null) {
        java.nio.file.Files.createDirectories(output.toAbsolutePath().getParent());
      }
      RunDirectory.writeAtomically(output, text + "\n");
    }
    return 0;
  }
}
