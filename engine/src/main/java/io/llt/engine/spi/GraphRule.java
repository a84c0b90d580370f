package io.llt.engine.spi;

import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.graph.Block;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a rule adds to train on a whole graph at once (transductive node classification): the
 * full-graph trainer ({@link io.llt.engine.train.GraphTrainer}) calls these instead of the batch
 * methods of {@link LocalRule}. A rule implements both interfaces.
 */
public interface GraphRule {
  /**
   * Returns true when the rule trains on whole graphs only (ForwardGNN); false when it also
   * trains on batches (the backprop baseline), so it alone does not make a config a graph run.
   */
  default boolean requiresGraph() {
    return true;
  }

  /**
   * Returns the per-row shape of the rows {@link #encodeGraph} lays out for node features of shape
   * {@code features}: the features themselves unless the rule appends something (label
   * appending adds {@code numClasses} columns).
   */
  default long[] encodedShape(long[] features, int numClasses) {
    return features;
  }

  /**
   * Called on the first block's rule: lays out the rows of the training, validation and test
   * passes. Only training nodes' labels may enter an encoding's rows or edges, and for the test
   * encoding also validation nodes' labels, never those of the nodes being scored.
   *
   * @param graph the graph and its split
   * @param dataType the data type of the rows
   * @param seed the seed of any random part (class-node features, negative labels)
   */
  Encodings encodeGraph(NodeGraph graph, DataType dataType, long seed);

  /**
   * One full-graph training step of the block: its forward on {@code input}, its local objective
   * on the encoding's labelled rows, and every gradient of the block (the trainer applies the
   * optimizer). Runs inside the block's workspace.
   *
   * @param above the outputs of the blocks after this one from the previous time step, detached
   *     ({@code simultaneous} only; empty under {@code greedy}); a top-down rule reads them
   * @return the block's (pre-update) output and the loss
   */
  StepResult graphStep(
      Block block, RuleState state, INDArray input, GraphEncoding encoding, List<INDArray> above);

  /**
   * Returns this block's class scores for every real node, {@code [numNodes, numClasses]}, from
   * the block's output on {@code encoding}'s rows; the network's prediction is the argmax of their
   * sum over the evaluated blocks.
   *
   * @param above the outputs of the blocks after this one in the same pass (empty under {@code
   *     greedy})
   */
  INDArray graphScores(
      Block block, RuleState state, INDArray output, GraphEncoding encoding, List<INDArray> above);

  /**
   * The encodings of one graph; validation and test may be the training encoding itself.
   *
   * @param train the rows the blocks train on
   * @param validation the rows validation nodes are scored on
   * @param test the rows test nodes are scored on
   */
  record Encodings(GraphEncoding train, GraphEncoding validation, GraphEncoding test) {}
}
