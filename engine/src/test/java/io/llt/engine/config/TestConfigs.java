package io.llt.engine.config;

import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Tiny config records, enums and a two-member rule family for the config tests. */
final class TestConfigs {
  private TestConfigs() {}

  enum Schedule {
    GREEDY,
    SIMULTANEOUS,
    BACKPROP
  }

  enum Activation {
    RELU,
    ONE_HOT
  }

  /** The root: a nested record, a list of nested records, a family, Path, Duration. */
  record Experiment(
      String name, Long seed, Path output, Duration timeLimit, Model model, Trainer trainer) {
    Experiment {
      Checks.required("name", name, "a run name, for example mnist-ff");
      seed = seed == null ? 0L : seed;
      Checks.required("model", model, "the model");
      Checks.required("trainer", trainer, "the trainer");
    }
  }

  record Model(List<Integer> input, List<Block> blocks) {
    Model {
      Checks.required("input", input, "the per-example input shape, for example [784]");
      Checks.nonEmpty("input", input);
      Checks.required("blocks", blocks, "at least one block");
      Checks.nonEmpty("blocks", blocks);
      for (int i = 1; i < blocks.size(); i++) {
        if (blocks.get(i).id().equals(blocks.get(0).id())) {
          throw new InvalidValueException("blocks[" + i + "].id", "repeats the id of blocks[0]");
        }
      }
    }
  }

  record Block(String id, int units, Activation activation, LocalRuleConfig rule) {
    Block {
      Checks.required("id", id, "a block id");
      if (id.isBlank()) {
        throw new IllegalArgumentException("id must not be blank");
      }
      Checks.positive("units", units);
      activation = activation == null ? Activation.RELU : activation;
      Checks.required("rule", rule, "a learning rule, for example {type: backprop}");
    }
  }

  record Trainer(Schedule schedule, int epochs, Integer batchSize, Boolean shuffle) {
    Trainer {
      schedule = schedule == null ? Schedule.GREEDY : schedule;
      Checks.positive("epochs", epochs);
      batchSize = batchSize == null ? 32 : batchSize;
      Checks.positive("batchSize", batchSize);
      shuffle = shuffle == null ? Boolean.TRUE : shuffle;
      if (schedule == Schedule.BACKPROP && epochs > 100) {
        throw new InvalidValueException(
            "", "a backprop schedule allows at most 100 epochs, found " + epochs);
      }
    }
  }

  /** Uses a type the binder does not support. */
  record WithMap(Map<String, Integer> counts) {}

  record BackpropRule(Double learningRate) implements LocalRuleConfig {
    BackpropRule {
      learningRate = learningRate == null ? 0.01 : learningRate;
      Checks.positive("learningRate", learningRate);
    }

    @Override
    public LocalRule build() {
      throw new UnsupportedOperationException("test-only rule config");
    }
  }

  record MonoForwardRule(Double learningRate, Double margin) implements LocalRuleConfig {
    MonoForwardRule {
      learningRate = learningRate == null ? 0.001 : learningRate;
      Checks.positive("learningRate", learningRate);
      Checks.nonNegative("margin", margin);
    }

    @Override
    public LocalRule build() {
      throw new UnsupportedOperationException("test-only rule config");
    }
  }

  record RuleProvider(String id, Class<? extends LocalRuleConfig> configType)
      implements LocalRuleProvider {
    @Override
    public String description() {
      return "test rule " + id;
    }
  }

  static TypeRegistry registry() {
    return TypeRegistry.builder()
        .register(LocalRuleConfig.class, new RuleProvider("backprop", BackpropRule.class))
        .register(LocalRuleConfig.class, new RuleProvider("mono-forward", MonoForwardRule.class))
        .build();
  }

  /** A valid config written by hand, equal to what {@link #VALID_YAML} binds to. */
  static Experiment valid() {
    return new Experiment(
        "tiny",
        7L,
        Path.of("runs/tiny"),
        Duration.ofMinutes(10),
        new Model(
            List.of(4, 2),
            List.of(
                new Block("b1", 8, Activation.RELU, new MonoForwardRule(0.001, 0.5)),
                new Block("b2", 3, Activation.ONE_HOT, new BackpropRule(0.01)))),
        new Trainer(Schedule.SIMULTANEOUS, 3, 16, false));
  }

  static final String VALID_YAML =
      """
      name: tiny
      seed: 7
      output: runs/tiny
      timeLimit: PT10M
      model:
        input: [4, 2]
        blocks:
          - id: b1
            units: 8
            rule: {type: mono-forward, learningRate: 1e-3, margin: 0.5}
          - id: b2
            units: 3
            activation: one-hot
            rule:
              type: backprop
      trainer:
        schedule: simultaneous
        epochs: 3
        batchSize: 16
        shuffle: false
      """;
}
