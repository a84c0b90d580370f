package io.llt.engine.train;

import io.llt.engine.config.ConfigException;
import io.llt.engine.config.ConfigLoader;
import io.llt.engine.config.ConfigProblem;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.LoadedConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.config.Schedule;
import io.llt.engine.graph.GraphBuilder;
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
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
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
