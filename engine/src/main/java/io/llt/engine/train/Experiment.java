package io.llt.engine.train;

import io.llt.engine.config.ConfigException;
import io.llt.engine.config.ConfigLoader;
import io.llt.engine.config.ConfigProblem;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.LoadedConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.graph.GraphBuilder;
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
        new GraphBuilder(registry).validate(c, c.data().exampleShape())) {
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
        .warnings(c, c.data().exampleShape(), c.data().numClasses());
  }

  /** Returns the data type a config asks for. */
  public static DataType dataType(ExperimentConfig c) {
    return "double".equals(c.trainer().dataType()) ? DataType.DOUBLE : DataType.FLOAT;
  }
}
