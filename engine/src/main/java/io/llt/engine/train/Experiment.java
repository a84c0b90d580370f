package io.llt.engine.train;

import io.llt.engine.config.ConfigException;
import io.llt.engine.config.ConfigLoader;
import io.llt.engine.config.ConfigProblem;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.LoadedConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.config.Schedule;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.GraphDataConfig;
import io.llt.engine.spi.ChainLayer;
import io.llt.engine.spi.GraphLayer;
import io.llt.engine.spi.GraphRule;
import io.llt.engine.memory.MemoryBudgetExceededException;
import io.llt.engine.memory.MemoryEstimate;
import io.llt.engine.memory.MemoryPhase;
import io.llt.engine.memory.NativeMemory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Loads an experiment file and validates it completely before anything is allocated: first the
 * records (every field, all problems at once), then the graph against the data source's shape
 * (rules, block ids, layer shapes). A config that passes can be built and trained.
 */
public final class Experiment {
  private final TypeRegistry registry;
  private final ConfigLoader loader;

  /** Creates the facade over the registered rules, layers and data sources. */
  public Experiment(TypeRegistry registry) {
    this.registry = registry;
    this.loader = new ConfigLoader(registry);
  }

  /** Returns the type registry. */
  public TypeRegistry registry() {
    return registry;
  }

  /**
   * Loads and validates {@code file} with {@code --set} overrides.
   *
   * @throws ConfigException listing every problem, each with file, line, column and path
   */
  public LoadedConfig<ExperimentConfig> load(Path file, List<String> overrides) {
    LoadedConfig<ExperimentConfig> loaded = loader.load(file, ExperimentConfig.class, overrides);
    validateGraph(loaded);
    return loaded;
  }

  /** Validates the graph of a loaded config against its data source's shape. */
  public void validateGraph(LoadedConfig<ExperimentConfig> loaded) {
    ExperimentConfig c = loaded.config();
    List<ConfigProblem> problems = new ArrayList<>();
    for (GraphBuilder.Issue i :
        new GraphBuilder(registry).validate(c, c.inputShape())) {
      problems.add(loaded.problemAt(i.path(), i.message()));
    }
    if (problems.isEmpty()) {
      for (GraphBuilder.Issue i : graphIssues(c, registry)) {
        problems.add(loaded.problemAt(i.path(), i.message()));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /**
   * Returns true when a config trains on a whole graph ({@link GraphTrainer}): graph data and a
   * graph layer in some block, or a rule that needs the graph.
   */
  public static boolean graphMode(ExperimentConfig c) {
    return c.data() instanceof GraphDataConfig && needsGraph(c);
  }

  private static boolean needsGraph(ExperimentConfig c) {
    return !graphLayerPaths(c).isEmpty() || !graphRulePaths(c).isEmpty();
  }

  /** Paths of the layers that are graph layers (built against their shapes in the chain). */
  private static List<String> graphLayerPaths(ExperimentConfig c) {
    List<String> out = new ArrayList<>();
    int[] index = new int[c.model().blocks().size()];
    for (ChainLayer l : GraphBuilder.chain(c, c.inputShape(), DataType.FLOAT)) {
      int j = index[l.block()]++;
      if (l.config().build(l.inputShape(), DataType.FLOAT) instanceof GraphLayer) {
        out.add("model.blocks[" + l.block() + "].layers[" + j + "]");
      }
    }
    return out;
  }

  /** Paths of the block rules that only train on a whole graph. */
  private static List<String> graphRulePaths(ExperimentConfig c) {
    List<String> out = new ArrayList<>();
    var blocks = c.model().blocks();
    for (int i = 0; i < blocks.size(); i++) {
      var rc = blocks.get(i).rule() != null ? blocks.get(i).rule() : c.model().rule();
      if (rc != null && rc.build() instanceof GraphRule g && g.requiresGraph()) {
        out.add(blocks.get(i).rule() != null ? "model.blocks[" + i + "].rule" : "model.rule");
      }
    }
    return out;
  }

  /** The problems of a config that mixes graph and batch training. */
  static List<GraphBuilder.Issue> graphIssues(ExperimentConfig c, TypeRegistry registry) {
    List<GraphBuilder.Issue> issues = new ArrayList<>();
    boolean graphData = c.data() instanceof GraphDataConfig;
    var t = c.trainer();
    if (!graphData) {
      for (String p : graphLayerPaths(c)) {
        issues.add(
            new GraphBuilder.Issue(
                p + ".type", "is a graph layer; it needs graph data (data.type: cora or cora-ml)"));
      }
      for (String p : graphRulePaths(c)) {
        issues.add(
            new GraphBuilder.Issue(
                p + ".type",
                "trains on a whole graph; it needs graph data (data.type: cora or cora-ml)"));
      }
    }
    if (!graphMode(c)) {
      if (t.patience() != null) {
        issues.add(new GraphBuilder.Issue("trainer.patience",
            "applies to full-graph training only (graph data with graph layers); remove it"));
      }
      if (t.validateEvery() != null) {
        issues.add(new GraphBuilder.Issue("trainer.validateEvery",
            "applies to full-graph training only (graph data with graph layers); remove it"));
      }
      return issues;
    }
    if (t.schedule() == Schedule.PIPELINED) {
      issues.add(
          new GraphBuilder.Issue(
              "trainer.schedule",
              "'pipelined' cannot train on a whole graph; use greedy (block by block),"
                  + " simultaneous (every block at every time step) or backprop"));
    }
    if (t.phases() != null) {
      issues.add(new GraphBuilder.Issue("trainer.phases",
          "full-graph greedy training runs one block at a time; remove trainer.phases"));
    }
    if (t.schedule() != Schedule.BACKPROP) {
      var blocks = c.model().blocks();
      for (int i = 0; i < blocks.size(); i++) {
        boolean own = blocks.get(i).rule() != null;
        var rc = own ? blocks.get(i).rule() : c.model().rule();
        if (rc != null && !(rc.build() instanceof GraphRule)) {
          issues.add(
              new GraphBuilder.Issue(
                  (own ? "model.blocks[" + i + "].rule" : "model.rule") + ".type",
                  "'" + registry.idOf(rc) + "' cannot train on a whole graph; use forwardgnn (or"
                      + " trainer.schedule: backprop)"));
        }
      }
    }
    return issues;
  }

  /**
   * Returns warnings about a valid config: settings that are legal but probably not what was
   * meant, each naming the block's config path.
   */
  public List<String> warnings(ExperimentConfig c) {
    return new GraphBuilder(registry)
        .warnings(c, c.inputShape(), c.data().numClasses());
  }

  /**
   * Returns the rules' notes about a valid config: facts worth showing before a run (NoProp's
   * noise levels and loss weights), each naming the block's config path.
   */
  public List<String> notes(ExperimentConfig c) {
    return new GraphBuilder(registry).notes(c, c.inputShape(), c.data().numClasses());
  }

  /**
   * Checks {@code memory.budgetBytes} against the estimate before anything is allocated: the
   * native bytes held now (the loaded dataset) plus the estimated training memory (the local
   * schedule's resident bytes, or the fused backprop block's peak).
   *
   * @throws MemoryBudgetExceededException naming the block whose step is largest
   */
  public void checkMemoryBudget(ExperimentConfig c) {
    Long budget = c.memory().budgetBytes();
    if (budget == null) {
      return;
    }
    MemoryEstimate e =
        MemoryEstimate.of(c, c.inputShape(), c.data().numClasses(), registry);
    long batch = c.trainer().batchSize();
    boolean bp = c.trainer().schedule() == Schedule.BACKPROP;
    long training =
        bp
            ? e.backpropPeakBytes(batch)
            : e.residentBytes(batch);
    long total = NativeMemory.nativeBytes() + training;
    if (total > budget) {
      String block = "backprop";
      if (!bp) {
        long max = -1;
        for (MemoryEstimate.BlockEstimate b : e.blocks()) {
          if (b.workspaceBytes(batch) > max) {
            max = b.workspaceBytes(batch);
            block = b.blockId();
          }
        }
      }
      throw new MemoryBudgetExceededException(
          "estimated", block, MemoryPhase.FORWARD, total, budget);
    }
  }

  /** Returns the data type a config asks for. */
  public static DataType dataType(ExperimentConfig c) {
    return "double".equals(c.trainer().dataType()) ? DataType.DOUBLE : DataType.FLOAT;
  }
}
