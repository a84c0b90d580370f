package io.llt.engine.config;

import io.llt.engine.spi.DataConfig;

/**
 * The root of an experiment file.
 *
 * @param name the run name, used for the run directory; letters, digits, '_', '.', '-'
 * @param seed the run seed from which every random stream is derived; default 42
 * @param data the data source ({@code type: fashion-mnist}, {@code synthetic}, ...)
 * @param model the network
 * @param trainer how it is trained
 * @param memory memory measurement and budget; default off
 */
public record ExperimentConfig(
    String name,
    Long seed,
    DataConfig data,
    ModelConfig model,
    TrainerConfig trainer,
    MemoryConfig memory) {
  /** Validates and applies defaults. */
  public ExperimentConfig {
    Checks.required("name", name, "a run name such as fmnist-mono-forward");
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw new InvalidValueException(
          "name", "must use letters, digits, '_', '.' or '-', found '" + name + "'");
    }
    seed = seed == null ? 42L : seed;
    Checks.required("data", data, "a data source, for example {type: fashion-mnist}");
    Checks.required("model", model, "the network: model.blocks");
    Checks.required("trainer", trainer, "at least trainer.epochs");
    memory = memory == null ? MemoryConfig.defaults() : memory;
  }

  /** Creates a config without memory settings. */
  public ExperimentConfig(
      String name, Long seed, DataConfig data, ModelConfig model, TrainerConfig trainer) {
    this(name, seed, data, model, trainer, null);
  }

  /** Returns a copy with another trainer config. */
  public ExperimentConfig withTrainer(TrainerConfig t) {
    return new ExperimentConfig(name, seed, data, model, t, memory);
  }

  /** Returns a copy with another model. */
  public ExperimentConfig withModel(ModelConfig m) {
    return new ExperimentConfig(name, seed, data, m, trainer, memory);
  }

  /** Returns a copy with other memory settings. */
  public ExperimentConfig withMemory(MemoryConfig m) {
    return new ExperimentConfig(name, seed, data, model, trainer, m);
  }

  /**
   * Returns the per-example shape the model sees: {@code model.input} when given (it views a
   * dataset's examples of the same size in another shape, for example flat synthetic features as
   * {@code [1, 6, 6]} images), otherwise the data's example shape, or on graph data the width of
   * the rows the first block's graph rule lays out ({@link
   * io.llt.engine.spi.GraphRule#encodedShape}: label appending adds the classes).
   */
  public long[] inputShape() {
    if (model.input() != null) {
      return model.input().stream().mapToLong(Long::longValue).toArray();
    }
    long[] shape = data.exampleShape();
    if (data instanceof io.llt.engine.spi.GraphDataConfig
        && trainer.schedule() != Schedule.BACKPROP) {
      var first = model.blocks().get(0).rule() != null ? model.blocks().get(0).rule() : model.rule();
      if (first != null && first.build() instanceof io.llt.engine.spi.GraphRule g) {
        return g.encodedShape(shape, data.numClasses());
      }
    }
    return shape;
  }
}
