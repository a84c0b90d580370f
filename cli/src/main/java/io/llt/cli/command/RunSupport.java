package io.llt.cli.command;

import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.spi.GraphDataConfig;
import io.llt.engine.train.GraphTrainer;

import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataFile;
import io.llt.engine.data.DataSplits;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.memory.NativeMemory;
import io.llt.engine.train.Experiment;
import io.llt.engine.train.BlockMetrics;
import io.llt.engine.train.EpochMetrics;
import io.llt.engine.train.TrainingResult;
import io.llt.engine.util.BuildInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.factory.Nd4j;

/** What the train, eval and bench commands share: data loading, machine facts, run summaries. */
final class RunSupport {
  /** The file in a run directory that records the directory of the config it came from. */
  static final String SOURCE = "source.txt";

  private RunSupport() {}

  /**
   * Returns the directory against which a run's relative paths ({@code data.path}) resolve: the
   * original config file's directory, recorded when the run started.
   */
  static Path configDir(Path run) throws IOException {
    Path f = run.resolve(SOURCE);
    if (!Files.exists(f)) {
      return run.toAbsolutePath();
    }
    return Path.of(Files.readString(f, java.nio.charset.StandardCharsets.UTF_8).trim());
  }

  /** Loads the data of a config, printing what was loaded. */
  static DataSplits loadData(ExperimentConfig c, Path configDir, boolean offline, PrintWriter out) {
    DataSplits d = c.data().load(dataContext(c, configDir, offline));
    out.printf(
        Locale.ROOT,
        "data: %s  train %d  validation %d  test %d%s%n",
        d.name(),
        d.train().size(),
        d.validation() == null ? 0 : d.validation().size(),
        d.test().size(),
        d.files().isEmpty() ? "" : "  (" + d.files().get(0).path().getParent() + ")");
    out.flush();
    return d;
  }

  /**
   * Fails with a one-line message for commands that do not run full-graph configs yet (their
   * batch paths would run graph layers without a graph).
   */
  static void rejectGraphRun(ExperimentConfig c, String command) {
    if (Experiment.graphMode(c)) {
      throw new io.llt.engine.BadInputException(
          "llt " + command + " does not run full-graph configs (" + c.name() + ") yet; llt train"
              + " reports their accuracy and each block's peak step memory in summary.json");
    }
  }

  /** Returns where and how a run's data is loaded. */
  static DataContext dataContext(ExperimentConfig c, Path configDir, boolean offline) {
    DataContext ctx = DataContext.standard(configDir, Experiment.dataType(c), c.seed());
    if (offline) {
      ctx =
          new DataContext(
              ctx.configDir(), ctx.environment(), ctx.userHome(), ctx.systemDatasetsDir(), false,
              ctx.dataType(), ctx.seed());
    }
    return ctx;
  }

  /** Loads the graph of a full-graph run and says what was loaded. */
  static NodeGraph loadGraph(ExperimentConfig c, Path configDir, boolean offline, PrintWriter out) {
    NodeGraph g = ((GraphDataConfig) c.data()).loadGraph(dataContext(c, configDir, offline));
    out.printf(
        Locale.ROOT,
        "data: %s  %d nodes, %d features, %d directed edges; train %d  validation %d  test %d"
            + "  (%s)%n",
        g.name(),
        g.numNodes(),
        g.numFeatures(),
        g.adjacency().numEdges(),
        g.train().length,
        g.validation().length,
        g.test().length,
        g.files().get(0).path().getParent());
    out.flush();
    return g;
  }

  /** The summary of a full-graph run. */
  static Map<String, Object> graphSummary(
      ExperimentConfig c, TypeRegistry registry, NodeGraph data, BlockGraph graph,
      GraphTrainer.Result r) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("name", c.name());
    s.put("rule", ruleIds(c, registry));
    s.put("schedule", c.trainer().schedule().name().toLowerCase(Locale.ROOT));
    s.put("dataset", data.name());
    s.put("maxEpochs", c.trainer().epochs());
    s.put("patience", c.trainer().patience());
    s.put("blocks", blockIds(graph));
    s.put("parameters", graph.numParams());
    s.put("testAccuracy", r.testAccuracy());
    s.put("validationAccuracy", r.validationAccuracy());
    List<Map<String, Object>> blocks = new ArrayList<>();
    long peak = 0;
    for (GraphTrainer.BlockOutcome o : r.blocks()) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("block", o.blockId());
      b.put("epochs", o.epochs());
      b.put("bestEpoch", o.bestEpoch());
      b.put("validationAccuracy", o.validationAccuracy());
      b.put("testAccuracy", o.testAccuracy());
      b.put("seconds", o.seconds());
      b.put("peakStepBytes", o.peakStepBytes());
      peak = Math.max(peak, o.peakStepBytes());
      blocks.add(b);
    }
    s.put("trainedBlocks", blocks);
    s.put("peakStepBytes", peak);
    s.put("peakNativeBytes", r.peakNativeBytes());
    s.put("peakResidentBytes", NativeMemory.peakResidentBytes());
    s.put("wallSeconds", r.wallSeconds());
    putProvenance(s, c, data.files());
    return s;
  }

  /** The glibc tunable the launcher sets (docs/architecture.md, "Native memory and glibc"). */
  static final String MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_";

  /**
   * Returns a note when the process runs on Linux without {@value #MMAP_THRESHOLD_VARIABLE}, or
   * null. Without it glibc raises its mmap threshold to the size of each large block freed, so that
   * batch-sized buffers come from malloc arenas, which keep freed space resident: a cached readout
   * on CIFAR-10 peaked at 6.5 GiB resident in eight epochs while ND4J held 2.2 GiB, and at 2.5 GiB
   * with the variable set (docs/RESULTS.md). The {@code llt} launcher sets it; runs started
   * with {@code java -jar} do not.
   *
   * @param osName the {@code os.name} property
   * @param env the process environment
   */
  static String mallocNote(String osName, Map<String, String> env) {
    boolean linux = osName.toLowerCase(Locale.ROOT).startsWith("linux");
    if (!linux || env.containsKey(MMAP_THRESHOLD_VARIABLE)) {
      return null;
    }
    return "note: " + MMAP_THRESHOLD_VARIABLE + " is not set, so glibc may keep freed batch buffers"
        + " resident and memory can grow far past ND4J's count on long runs; start through the llt"
        + " launcher, or export " + MMAP_THRESHOLD_VARIABLE + "=131072";
  }

  /** Prints {@link #mallocNote} for this process, if any, to {@code err}. */
  static void printMallocNote(PrintWriter err) {
    String note = mallocNote(System.getProperty("os.name", ""), System.getenv());
    if (note != null) {
      err.println(note);
    }
  }

  /**
   * Returns a warning when a pipelined run would oversubscribe the cores (ND4J's thread count is
   * process-wide and fixed at start-up), or null.
   */
  static String threadWarning(ExperimentConfig c) {
    if (c.trainer().schedule() != Schedule.PIPELINED) {
      return null;
    }
    int stages = c.trainer().stages() != null ? c.trainer().stages() : c.model().blocks().size();
    int cores = Runtime.getRuntime().availableProcessors();
    String omp = System.getenv("OMP_NUM_THREADS");
    int threads = cores;
    try {
      threads = omp == null ? cores : Integer.parseInt(omp.trim());
    } catch (NumberFormatException e) {
      // a list or other OpenMP syntax: leave the judgement to the user
      return null;
    }
    if (stages * threads <= cores) {
      return null;
    }
    return String.format(
        Locale.ROOT,
        "warning: %d pipeline stages x %d threads each oversubscribe %d cores (measured 2-2.5x"
            + " slower); start with OMP_NUM_THREADS=%d",
        stages, threads, cores, Math.max(1, cores / stages));
  }

  /** Returns the rule ids of a config's blocks (one id when all agree), or "backprop". */
  static String ruleIds(ExperimentConfig c, TypeRegistry registry) {
    if (c.trainer().schedule() == Schedule.BACKPROP) {
      return Schedule.BACKPROP_RULE_ID;
    }
    Set<String> ids = new LinkedHashSet<>();
    c.model()
        .blocks()
        .forEach(b -> ids.add(registry.idOf(b.rule() != null ? b.rule() : c.model().rule())));
    return String.join(",", ids);
  }

  /** Returns the block ids of a graph. */
  static List<String> blockIds(BlockGraph g) {
    List<String> ids = new ArrayList<>();
    for (Block b : g.blocks()) {
      ids.add(b.id());
    }
    return ids;
  }

  /** Returns facts about this machine and process for summaries and benchmarks. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpu", cpuModel());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    String omp = System.getenv("OMP_NUM_THREADS");
    m.put("ompNumThreads", omp == null ? "unset" : omp);
    m.put("backend", Nd4j.getBackend().getClass().getSimpleName());
    m.put("java", System.getProperty("java.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    return m;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
    return System.getProperty("os.arch");
  }

  /** Returns the current UTC time in ISO-8601. */
  static String now() {
    return DateTimeFormatter.ISO_INSTANT.format(Instant.now().atOffset(ZoneOffset.UTC));
  }

  /** Builds {@code summary.json} of a finished run. */
  static Map<String, Object> summary(
      ExperimentConfig c,
      TypeRegistry registry,
      DataSplits data,
      BlockGraph graph,
      TrainingResult r,
      int resumedFromEpoch) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("name", c.name());
    s.put("rule", ruleIds(c, registry));
    s.put("schedule", c.trainer().schedule().name().toLowerCase(Locale.ROOT));
    s.put("dataset", data.name());
    s.put("epochs", c.trainer().epochs());
    s.put("batchSize", c.trainer().batchSize());
    s.put("blocks", blockIds(graph));
    s.put("parameters", graph.numParams());
    s.put("testAccuracy", r.testAccuracy());
    s.put("readout", graph.readouts().get(0).name());
    s.put("testReadouts", r.testReadouts());
    if (!r.epochs().isEmpty()) {
      Double v = r.epochs().get(r.epochs().size() - 1).validationAccuracy();
      if (v != null) {
        s.put("validationAccuracy", v);
      }
    }
    s.put("samplesPerSecond", r.samplesPerSecond());
    s.put("peakNativeBytes", r.peakNativeBytes());
    s.put("peakResidentBytes", NativeMemory.peakResidentBytes());
    s.put("wallSeconds", r.wallSeconds());
    s.put("blockStepSeconds", blockStepSeconds(r));
    if (c.trainer().schedule() == Schedule.GREEDY) {
      s.put("phases", phases(r));
    } else if (!r.epochs().isEmpty()) {
      putLosses(s, r.epochs().get(r.epochs().size() - 1));
    }
    if (resumedFromEpoch > 0) {
      s.put("resumedFromEpoch", resumedFromEpoch);
    }
    putProvenance(s, c, data.files());
    return s;
  }

  /** Adds the seed, engine version and commit, date, machine and data files to a summary. */
  private static void putProvenance(Map<String, Object> s, ExperimentConfig c, List<DataFile> data) {
    s.put("seed", c.seed());
    s.put("engineVersion", BuildInfo.version());
    s.put("engineCommit", BuildInfo.commit());
    s.put("date", now());
    s.put("machine", machine());
    List<Map<String, String>> files = new ArrayList<>();
    for (DataFile f : data) {
      files.add(Map.of("path", f.path().toString(), "sha256", f.sha256()));
    }
    s.put("dataFiles", files);
  }

  /**
   * Returns, per block id, the wall time of its training steps summed over the run's epochs (this
   * session's epochs when resumed).
   */
  static Map<String, Double> blockStepSeconds(TrainingResult r) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (EpochMetrics m : r.epochs()) {
      for (BlockMetrics b : m.blocks()) {
        out.merge(b.blockId(), b.seconds(), Double::sum);
      }
    }
    return out;
  }

  /**
   * Per greedy phase of a run (consecutive epochs with the same active blocks): its blocks, epochs,
   * training seconds, the seconds spent computing cached frozen outputs, the final loss of each of
   * its blocks (and of each named term of it, for rules whose loss has several), and the test
   * accuracy after it (absent when the phase is not evaluated).
   */
  static List<Map<String, Object>> phases(TrainingResult r) {
    List<Map<String, Object>> out = new ArrayList<>();
    Map<String, Object> cur = null;
    for (EpochMetrics m : r.epochs()) {
      if (cur == null || !m.activeBlock().equals(cur.get("blocks"))) {
        cur = new LinkedHashMap<>();
        cur.put("blocks", m.activeBlock());
        cur.put("epochs", 0);
        cur.put("trainSeconds", 0.0);
        cur.put("frozenFeatureSeconds", 0.0);
        out.add(cur);
      }
      cur.put("epochs", (Integer) cur.get("epochs") + 1);
      cur.put("trainSeconds", (Double) cur.get("trainSeconds") + m.trainSeconds());
      cur.put("frozenFeatureSeconds", (Double) cur.get("frozenFeatureSeconds") + m.frozenFeatureSeconds());
      cur.remove("finalLossTerms");
      putLosses(cur, m);
      if (Double.isNaN(m.testAccuracy())) {
        cur.remove("testAccuracy");
      } else {
        cur.put("testAccuracy", m.testAccuracy());
      }
    }
    return out;
  }

  /**
   * Puts an epoch's mean loss of each block that trained in it ({@code finalLosses}) and, when any
   * block's loss has named terms, their means ({@code finalLossTerms}, by block, then term).
   */
  static void putLosses(Map<String, Object> out, EpochMetrics m) {
    Map<String, Double> losses = new LinkedHashMap<>();
    Map<String, Map<String, Double>> terms = new LinkedHashMap<>();
    for (BlockMetrics b : m.blocks()) {
      if (!Double.isNaN(b.loss())) {
        losses.put(b.blockId(), b.loss());
        if (!b.terms().isEmpty()) {
          terms.put(b.blockId(), b.terms());
        }
      }
    }
    out.put("finalLosses", losses);
    if (!terms.isEmpty()) {
      out.put("finalLossTerms", terms);
    }
  }

  /** Formats readout accuracies as {@code name 0.1234, name 0.5678}. */
  static String describeReadouts(Map<String, Double> readouts) {
    StringBuilder sb = new StringBuilder();
    readouts.forEach(
        (k, v) ->
            sb.append(sb.length() == 0 ? "" : ", ")
                .append(k)
                .append(' ')
                .append(String.format(Locale.ROOT, "%.4f", v)));
    return sb.toString();
  }
}
