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
   * {@code [1, 6, 6]} images), otherwise the data's example shape.
   */
  public long[] inputShape() {
    if (model.input() != null) {
      return model.input().stream().mapToLong(Long::longValue).toArray();
    }
    return data.exampleShape();
  }
}
