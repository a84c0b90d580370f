package io.llt.engine.spi;

import io.llt.engine.config.Schedule;
import io.llt.engine.graph.Block;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A learning rule: the isolated objective and update of one block.
 *
 * <p>Lifecycle, in order:
 *
 * <ol>
 *   <li>{@link #createState} once per block; the block binds and initialises the state;
 *   <li>per training batch: the first block's rule turns the batch into the rows the chain trains
 *       on ({@link #encodeTraining}; Forward-Forward stacks positive and negative examples); if
 *       any rule asks for it ({@link #lookahead}), every block runs {@link #pass} once so that
 *       signals of later blocks are on the batch's {@link Signals} board; then every training block
 *       runs {@link #step} inside its workspace: forward, local objective, gradients of the block's
 *       parameters (layers and rule state) into its gradient vector; the trainer then applies the
 *       block's optimizer. A block that does not train this batch (greedy schedule) runs {@link
 *       #pass}. Inputs are detached copies of the previous block's output, so no gradient ever
 *       crosses a block boundary;
 *   <li>at inference, the first block's rule encodes the batch ({@link #encodeInference}) and each
 *       block runs {@link #infer}; the network's readouts ({@link #readouts}) combine the per-block
 *       scores;
 *   <li>the block closes the state at the end of the run.
 * </ol>
 *
 * <p>The rule object holds only its validated config; everything mutable lives in the block and
 * its {@link RuleState}, so one rule instance may serve many blocks. Implementations must not keep
 * references to step inputs after returning.
 */
public interface LocalRule {
  /** Returns the exact config that built this rule. */
  LocalRuleConfig config();

  /** Creates the rule's state for one block; allocates nothing until the block binds it. */
  RuleState createState(BlockContext context);

  /**
   * Runs one local training step on a batch.
   *
   * @param block the block (its layers, flat parameters and gradients)
   * @param state this rule's state for the block
   * @param input the detached block input, {@code [rows, prod(inputShape)]}
   * @param labels the batch's labels (one-hot and class indices)
   * @param signals the batch's board of detached values published by other blocks
   * @return the block output computed before the update, and the local loss
   */
  StepResult step(Block block, RuleState state, INDArray input, Labels labels, Signals signals);

  /**
   * Returns class scores {@code [batch, numClasses]} that this block contributes to the network's
   * prediction, from the block's inference output, or null when the block contributes none (the
   * default). Used by the default {@link #infer}; rules that override {@code infer} need not
   * implement it.
   */
  default INDArray scores(Block block, RuleState state, INDArray output) {
    return null;
  }

  /**
   * Turns a training batch into the rows the chain trains on; called on the first block's rule,
   * outside every workspace. The default trains on the features as they are.
   *
   * @param block the first block
   * @param state its rule state
   * @param features the batch's features {@code [batch, prod(inputShape)]}
   * @param labels the batch's labels
   * @param seed a seed derived from the run seed, epoch and batch, for any random choice
   * @param networkScores computes the network's current headline scores for the batch {@code
   *     [batch, numClasses]} (a full inference pass), or returns null when no readout is available
   * @return the rows; {@code features} itself, or a new array the caller closes after the batch
   */
  default INDArray encodeTraining(
      Block block,
      RuleState state,
      INDArray features,
      Labels labels,
      long seed,
      Supplier<INDArray> networkScores) {
    return features;
  }

  /**
   * Turns an inference batch into the rows the chain evaluates; called on the first block's rule,
   * outside every workspace. The default evaluates the features as they are.
   *
   * @return the rows; {@code features} itself, or a new array the caller closes after the batch
   */
  default INDArray encodeInference(Block block, RuleState state, INDArray features) {
    return features;
  }

  /**
   * Returns true when {@link #step} updates the block's parameters itself (Hebbian plasticity)
   * instead of writing gradients: the block then has no optimizer state and the trainer applies no
   * optimizer step. False by default.
   */
  default boolean selfUpdating() {
    return false;
  }

  /**
   * Returns false when this rule's blocks contribute no class scores at all (unsupervised feature
   * layers such as SoftHebb's), so that a network ending in such a block cannot be evaluated yet.
   * True by default.
   */
  default boolean hasScores() {
    return true;
  }

  /**
   * Returns true when {@link #pass} is a deterministic function of the block input alone, and
   * {@link #encodeTraining} and {@link #encodeInference} return the features unchanged, so that a
   * frozen block's outputs may be computed once and reused for every later epoch (SoftHebb's
   * frozen feature layers under a readout). False by default.
   */
  default boolean cacheableWhenFrozen() {
    return false;
  }

  /**
   * Returns true when this rule's class scores are auxiliary (a block's own classifier that the
   * network's inference discards: DGL, AugLocal, MAN): the evaluator then asks for scores only from
   * the last block it evaluates (the network's output, or the last trained block of a greedy phase)
   * and runs every block before it through its plain inference forward. False by default.
   */
  default boolean auxiliaryScores() {
    return false;
  }

  /** Returns true when {@link #encodeTraining} calls its {@code networkScores} (whole-network reads). */
  default boolean readsNetworkScores() {
    return false;
  }

  /**
   * True when the rule's training step reads the batch's input images in [0, 1] from {@link
   * Signals#image} (InfoPro's reconstruction loss); the trainer then puts them on every training
   * batch's board and refuses data that are not images. False by default.
   */
  default boolean readsInputImage() {
    return false;
  }

  /**
   * Returns true when this rule's step reads signals of blocks after its own, so that every
   * batch first runs {@link #pass} through the whole chain (Collaborative Forward-Forward with
   * all other layers).
   */
  default boolean lookahead() {
    return false;
  }

  /**
   * Forward through a block that does not update on this batch (a frozen block of the greedy
   * schedule, or the lookahead pass), inside the block's workspace; may publish signals. The
   * default is the block's inference forward.
   *
   * @return the output rows handed to the next block
   */
  default INDArray pass(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return block.forward(input, false);
  }

  /**
   * Inference through the block, inside its workspace. The default runs the block's inference
   * forward and reports {@link #scores} under the key {@code scores}.
   */
  default BlockInference infer(Block block, RuleState state, INDArray input, Signals signals) {
    INDArray out = block.forward(input, false);
    INDArray s = scores(block, state, out);
    return new BlockInference(out, s == null ? Map.of() : Map.of("scores", s));
  }

  /**
   * Inference through the block for {@code llt eval --per-block}, inside its workspace: as {@link
   * #infer}, but the batch's labels are known, so the scores may include diagnostics that read
   * them (NoProp: each block's own prediction at its own training noise level, which draws the
   * noisy label from the true class). Each score is {@code [batch, numClasses]} and is counted
   * correct where its argmax is the label; the output must be what {@link #infer} hands on. Never
   * used for a network's predictions. The default is {@link #infer}, so every block that scores
   * (Mono-Forward's projections, an auxiliary head) reports its own accuracy.
   */
  default BlockInference probe(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return infer(block, state, input, signals);
  }

  /**
   * Returns the readouts of a network whose last block this rule trains, the headline first. The
   * default reports the last block's scores and the sum over blocks.
   */
  default List<ReadoutSpec> readouts() {
    return List.of(
        new ReadoutSpec("last", "scores", Readout.LAST),
        new ReadoutSpec("sum", "scores", Readout.SUM));
  }

  /**
   * Returns true when the block hands its own input rows, unchanged, to the next block instead of
   * its layers' output: every block then reads the chain's input (NoProp: each denoising block sees
   * the image and draws its own noisy label; the noisy labels of inference travel on the {@link
   * Signals} board). The next block's input shape is then this block's input shape, and {@link
   * #step}, {@link #pass} and {@link #infer} return their input as the output. False by default.
   */
  default boolean handsOnInput() {
    return false;
  }

  /**
   * Returns true when this rule's step reads the first layer's parameters of the next block (MAN's
   * EMA branch), one of the two declared links across a block boundary (the other is a rule's
   * shared parameter group, {@link RuleState#link}). The graph links the two blocks through a
   * versioned {@link io.llt.engine.graph.ParamMailbox} ({@link Block#successorParams()}); the
   * next block publishes a copy after every update, no gradient
   * flows through it, and the version lag of every read is logged per epoch ({@code paramLag} in
   * the metrics). On the last block of the chain there is nothing to read and no link is made.
   * False by default.
   */
  default boolean readsSuccessorFirstLayer() {
    return false;
  }

  /**
   * Runs after the block's optimizer update, inside the block's workspace (MAN's paper form pulls
   * its EMA branch toward the next block after the branch's own gradient step). Nothing by default.
   */
  default void afterUpdate(Block block, RuleState state) {}

  /**
   * Returns why this rule's blocks cannot be trained under {@code schedule}, as a sentence naming
   * the fix, or null when they can (the default). {@code llt validate} and every command that
   * loads a config report it as an error against {@code trainer.schedule}.
   */
  default String scheduleProblem(Schedule schedule) {
    return null;
  }

  /**
   * Returns facts about this rule's settings for one block worth showing before a run (NoProp: the
   * block's noise level and loss weight); shown by {@code llt validate} and at the start of a run.
   * None by default.
   *
   * @param context the block
   */
  default List<String> notes(BlockContext context) {
    return List.of();
  }

  /**
   * Returns a description of the rows this rule's blocks exchange; every block of a chain must
   * agree with the first block's rule, which makes them. The default, {@code examples}, is one row
   * per example; Forward-Forward stacks positive, negative and neutral rows.
   */
  default String rowLayout() {
    return "examples";
  }

  /**
   * Returns how many rows a training step of this rule's blocks processes per example (the memory
   * estimate scales by it): 1 by default; Forward-Forward's positive, negative and neutral rows
   * make 2 or 3.
   */
  default int rowsPerExample() {
    return 1;
  }

  /**
   * Returns what makes a block's layers unusable with this rule (SoftHebb: a trainable layer with a
   * bias, or none it can train), each a sentence naming the fix; {@code llt validate} and every
   * command that loads a config report them as errors against the block's {@code layers}. None by
   * default.
   *
   * @param layers the block's layers, built for their input shapes
   * @param context the block (its {@code blockOutputSizes} are empty: later blocks are not built
   *     yet when this is asked)
   */
  default List<String> layerProblems(List<Layer> layers, BlockContext context) {
    return List.of();
  }

  /**
   * Returns warnings about this rule's settings for one block: legal but probably not what was
   * meant (for example a threshold on a different scale from the block's normalisation). Shown by
   * {@code llt validate} and at the start of a run.
   *
   * @param context the block
   * @param layers the block's layer configs
   */
  default List<String> warnings(BlockContext context, List<LayerConfig> layers) {
    return List.of();
  }
}
