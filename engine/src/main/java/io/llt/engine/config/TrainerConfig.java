package io.llt.engine.config;

import java.util.List;

/**
 * How the blocks are trained.
 *
 * @param schedule {@code simultaneous} (default), {@code greedy} or {@code backprop}
 * @param epochs epochs over the training data; for {@code greedy}, epochs per block; required, > 0
 * @param batchSize training batch size; default 128, > 0
 * @param evalBatchSize batch size for evaluation; default 1000, > 0
 * @param optimizer default optimizer of every block; default Adam 1e-3
 * @param keepCheckpoints how many epoch checkpoints to keep (the newest); default 2; 0 keeps all
 * @param dataType {@code float} (default) or {@code double}
 * @param stages {@code pipelined} only: how many stages the blocks are split into (consecutive
 *     blocks, as evenly as possible); default one stage per block; between 1 and the block count
 * @param queueCapacity {@code pipelined} only: batches a queue between two stages holds; default
 *     2, > 0
 * @param placement {@code pipelined} only: {@code even} (default) splits the blocks into stages
 *     by count; {@code auto} runs the first epoch split evenly while timing every block's steps,
 *     then splits later epochs so that the slowest stage's summed step time is as small as
 *     possible (the split never changes the arithmetic: every split is bit-identical to {@code
 *     simultaneous})
 * @param phases {@code greedy} only: the phases, in order, each a run of consecutive blocks that
 *     train together for its own number of epochs ({@link PhaseConfig}); together they must list
 *     every block once, in chain order (checked against the model); default one phase per block
 *     with {@code epochs} epochs each
 * @param cacheFrozenFeatures {@code greedy} only: when every block before a phase is frozen and its
 *     rule allows it ({@link io.llt.engine.spi.LocalRule#cacheableWhenFrozen()}), compute their
 *     outputs on every split once at the start of the phase and train and evaluate the phase from
 *     them (SoftHebb's readout on frozen conv features); default true
 * @param patience graph data only: early stopping, as ForwardGNN's reference: stop a block's
 *     training (greedy) or the network's (backprop, simultaneous) after this many validations
 *     without a strictly
 *     better validation accuracy, and restore the weights of the best one; {@code > 0}; default
 *     none (train every epoch, keep the last weights)
 * @param validateEvery graph data only: validate every this many epochs; default 1, > 0
 */
public record TrainerConfig(
    Schedule schedule,
    Integer epochs,
    Integer batchSize,
    Integer evalBatchSize,
    OptimizerConfig optimizer,
    Integer keepCheckpoints,
    String dataType,
    Integer stages,
    Integer queueCapacity,
    List<PhaseConfig> phases,
    Boolean cacheFrozenFeatures,
    Integer patience,
    Integer validateEvery,
    String placement) {
  /** Validates and applies defaults. */
  public TrainerConfig {
    schedule = schedule == null ? Schedule.SIMULTANEOUS : schedule;
    Checks.required("epochs", epochs, "a positive number of epochs");
    Checks.positive("epochs", epochs);
    batchSize = batchSize == null ? 128 : batchSize;
    Checks.positive("batchSize", batchSize);
    evalBatchSize = evalBatchSize == null ? 1000 : evalBatchSize;
    Checks.positive("evalBatchSize", evalBatchSize);
    optimizer = optimizer == null ? OptimizerConfig.adamDefaults() : optimizer;
    keepCheckpoints = keepCheckpoints == null ? 2 : keepCheckpoints;
    Checks.nonNegative("keepCheckpoints", keepCheckpoints);
    dataType = dataType == null ? "float" : dataType;
    Checks.oneOf("dataType", dataType, "float", "double");
    if (schedule != Schedule.PIPELINED) {
      Checks.absent("stages", stages, "schedule: pipelined only");
      Checks.absent("queueCapacity", queueCapacity, "schedule: pipelined only");
      Checks.absent("placement", placement, "schedule: pipelined only");
    } else {
      queueCapacity = queueCapacity == null ? 2 : queueCapacity;
      Checks.positive("stages", stages);
      Checks.positive("queueCapacity", queueCapacity);
      placement = placement == null ? "even" : placement;
      Checks.oneOf("placement", placement, "even", "auto");
    }
    Checks.positive("patience", patience);
    Checks.positive("validateEvery", validateEvery);
    if (schedule != Schedule.GREEDY) {
      Checks.absent("phases", phases, "schedule: greedy only");
      Checks.absent("cacheFrozenFeatures", cacheFrozenFeatures, "schedule: greedy only");
    } else {
      cacheFrozenFeatures = cacheFrozenFeatures == null || cacheFrozenFeatures;
      if (phases != null) {
        Checks.nonEmpty("phases", phases);
        int e = epochs;
        int b = batchSize;
        phases = phases.stream().map(p -> p.withDefaults(e, b)).toList();
      }
    }
  }

  /** Creates a config without the graph-only settings. */
  public TrainerConfig(
      Schedule schedule,
      Integer epochs,
      Integer batchSize,
      Integer evalBatchSize,
      OptimizerConfig optimizer,
      Integer keepCheckpoints,
      String dataType,
      Integer stages,
      Integer queueCapacity,
      List<PhaseConfig> phases,
      Boolean cacheFrozenFeatures) {
    this(
        schedule, epochs, batchSize, evalBatchSize, optimizer, keepCheckpoints, dataType, stages,
        queueCapacity, phases, cacheFrozenFeatures, null, null, null);
  }

  /** Returns a copy with another schedule (pipeline settings are kept only for {@code pipelined}). */
  public TrainerConfig withSchedule(Schedule s) {
    boolean p = s == Schedule.PIPELINED;
    boolean g = s == Schedule.GREEDY;
    return new TrainerConfig(
        s, epochs, batchSize, evalBatchSize, optimizer, keepCheckpoints, dataType,
        p ? stages : null, p ? queueCapacity : null, g ? phases : null,
        g ? cacheFrozenFeatures : null, patience, validateEvery, p ? placement : null);
  }
}
