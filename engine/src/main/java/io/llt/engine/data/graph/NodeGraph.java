package io.llt.engine.data.graph;

import io.llt.engine.data.DataFile;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A node-classification graph held in memory: every node's features and label, the undirected
 * edges, and the transductive split (node ids of the training, validation and test nodes).
 *
 * @param name the dataset name, for example {@code cora-ml}
 * @param features {@code [numNodes, numFeatures]}, prepared (binarised, row-normalised) as the
 *     source's config asks, outside any workspace
 * @param labels the class of every node, {@code 0..numClasses-1}
 * @param numClasses the number of classes
 * @param adjacency the undirected edges, both directions, no self-loops
 * @param train the training nodes, ascending
 * @param validation the validation nodes, ascending
 * @param test the test nodes, ascending
 * @param files the files read, with hashes
 */
public record NodeGraph(
    String name,
    INDArray features,
    int[] labels,
    int numClasses,
    Adjacency adjacency,
    int[] train,
    int[] validation,
    int[] test,
    List<DataFile> files) {

  /** Returns the number of nodes. */
  public int numNodes() {
    return labels.length;
  }

  /** Returns the feature width. */
  public long numFeatures() {
    return features.size(1);
  }

  /** Returns the labels of the given nodes. */
  public int[] labelsOf(int[] nodes) {
    int[] y = new int[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      y[i] = labels[nodes[i]];
    }
    return y;
  }
}
