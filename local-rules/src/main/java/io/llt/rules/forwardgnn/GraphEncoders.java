package io.llt.rules.forwardgnn;

import io.llt.engine.data.graph.Adjacency;
import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.spi.GraphEncoding;
import io.llt.engine.spi.GraphRule;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The row layouts of ForwardGNN's node-classification variants (facebookresearch/forwardgnn,
 * {@code src/forward_learning/nodeclass}). Labels enter an encoding only through the nodes the
 * split allows: training nodes always, validation nodes only in the test encoding, never the nodes
 * being scored.
 */
final class GraphEncoders {
  private GraphEncoders() {}

  /**
   * Single-forward: the real nodes, then one class node per class with frozen N(0,1) features
   * ({@code nn.Embedding} weights in the reference), and a bidirectional edge between every
   * training node and its class's node. Validation and test nodes never touch a class node, so
   * one encoding serves training and scoring.
   */
  static GraphRule.Encodings singleForward(NodeGraph g, DataType dt, long seed) {
    int n = g.numNodes();
    int c = g.numClasses();
    INDArray rows = withClassNodes(g, dt, seed);
    Adjacency adj = withClassEdges(g.adjacency(), n, c, g.train(), g.labelsOf(g.train()));
    int[] labels = new int[n + c];
    Arrays.fill(labels, -1);
    for (int v : g.train()) {
      labels[v] = g.labels()[v];
    }
    GraphEncoding e = new GraphEncoding(rows, adj, labels, n, 1);
    return new GraphRule.Encodings(e, e, e);
  }

  /**
   * Label appending: {@code C} copies of the graph, each node's features followed by a label
   * vector. Training: copy 0 gives every training node its one-hot label, copy k (1..C-1) its k-th
   * wrong class from a per-node random permutation of the C-1 wrong classes; all other nodes get
   * the uniform vector 1/C. Scoring: copy k gives the labelled nodes (training nodes, plus
   * validation nodes when scoring test) their own one-hot, every node being scored candidate class
   * k (all at once, as the reference), and the remaining nodes the uniform vector.
   */
  static GraphRule.Encodings labelAppending(NodeGraph g, DataType dt, long seed) {
    int n = g.numNodes();
    int c = g.numClasses();
    int[][] trainLabels = negativeLabels(g, seed);
    GraphEncoding train = appended(g, dt, trainLabels, trainLabels(g, trainLabels));
    GraphEncoding val =
        appended(g, dt, candidates(g, g.train(), g.validation()), noLabels(c * n));
    GraphEncoding test =
        appended(
            g, dt, candidates(g, union(g.train(), g.validation()), g.test()), noLabels(c * n));
    return new GraphRule.Encodings(train, val, test);
  }

  /**
   * Virtual nodes: {@code C} copies of the graph with class nodes appended (features as for
   * single-forward, the same in every copy); copies differ only in their class edges. Training:
   * copy 0 wires each training node to its class's node, copy k to its k-th wrong class. Scoring:
   * copy k wires the labelled nodes to their own class and every node being scored to class k;
   * the remaining nodes get no class edge.
   */
  static GraphRule.Encodings virtualNodes(NodeGraph g, DataType dt, long seed) {
    int n = g.numNodes();
    int c = g.numClasses();
    int[][] wrong = negativeLabels(g, seed);
    INDArray one = withClassNodes(g, dt, seed);
    GraphEncoding train =
        virtualCopies(g, one, wrong, g.train(), trainLabels(g, wrongForRows(g, wrong, n + c)));
    int[] labelled = union(g.train(), g.validation());
    GraphEncoding val =
        virtualCopies(
            g, one, candidates(g, g.train(), g.validation()), union(g.train(), g.validation()),
            noLabels(c * (n + c)));
    GraphEncoding test =
        virtualCopies(
            g, one, candidates(g, labelled, g.test()), union(labelled, g.test()),
            noLabels(c * (n + c)));
    one.close();
    return new GraphRule.Encodings(train, val, test);
  }

  /**
   * Per copy k and node v, the class appended or wired in training: copy 0 the true class, copy k
   * the k-th entry of v's permutation of its wrong classes; -1 for nodes that are not training
   * nodes (they get the uniform vector, or no class edge).
   */
  static int[][] negativeLabels(NodeGraph g, long seed) {
    int n = g.numNodes();
    int c = g.numClasses();
    int[][] lab = new int[c][n];
    for (int[] row : lab) {
      Arrays.fill(row, -1);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int v : g.train()) {
      int y = g.labels()[v];
      int[] wrong = new int[c - 1];
      for (int k = 0, j = 0; k < c; k++) {
        if (k != y) {
          wrong[j++] = k;
        }
      }
      for (int i = wrong.length - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = wrong[i];
        wrong[i] = wrong[j];
        wrong[j] = t;
      }
      lab[0][v] = y;
      for (int k = 1; k < c; k++) {
        lab[k][v] = wrong[k - 1];
      }
    }
    return lab;
  }

  /**
   * Per candidate k and node v: the node's own class for labelled nodes, k for the nodes being
   * evaluated, -1 (uniform vector, or no class edge) for every other node.
   */
  private static int[][] candidates(NodeGraph g, int[] labelled, int[] evaluated) {
    int n = g.numNodes();
    int c = g.numClasses();
    int[][] lab = new int[c][n];
    for (int k = 0; k < c; k++) {
      Arrays.fill(lab[k], -1);
      for (int v : evaluated) {
        lab[k][v] = k;
      }
      for (int v : labelled) {
        lab[k][v] = g.labels()[v];
      }
    }
    return lab;
  }

  /** The training rows' labels: the appended class on training nodes, -1 elsewhere. */
  private static int[] trainLabels(NodeGraph g, int[][] perCopy) {
    int copies = perCopy.length;
    int width = perCopy[0].length;
    int[] out = new int[copies * width];
    Arrays.fill(out, -1);
    for (int k = 0; k < copies; k++) {
      for (int v : g.train()) {
        out[k * width + v] = perCopy[k][v];
      }
    }
    return out;
  }

  /** Widens per-node labels to rows of {@code width} (real nodes first, class nodes -1). */
  private static int[][] wrongForRows(NodeGraph g, int[][] perNode, int width) {
    int[][] out = new int[perNode.length][width];
    for (int k = 0; k < perNode.length; k++) {
      Arrays.fill(out[k], -1);
      System.arraycopy(perNode[k], 0, out[k], 0, perNode[k].length);
    }
    return out;
  }

  private static GraphEncoding appended(
      NodeGraph g, DataType dt, int[][] perCopy, int[] rowLabels) {
    int n = g.numNodes();
    int c = g.numClasses();
    long f = g.numFeatures();
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      INDArray rows = Nd4j.create(dt, (long) c * n, f + c);
      for (int k = 0; k < c; k++) {
        INDArray copy = rows.get(NDArrayIndex.interval((long) k * n, (long) (k + 1) * n), NDArrayIndex.all());
        copy.get(NDArrayIndex.all(), NDArrayIndex.interval(0, f)).assign(g.features());
        float[] lab = new float[n * c];
        for (int v = 0; v < n; v++) {
          int y = perCopy[k][v];
          if (y < 0) {
            Arrays.fill(lab, v * c, (v + 1) * c, 1f / c);
          } else {
            lab[v * c + y] = 1f;
          }
        }
        try (INDArray block = Nd4j.create(lab, new long[] {n, c}, 'c')) {
          copy.get(NDArrayIndex.all(), NDArrayIndex.interval(f, f + c)).assign(block);
        }
      }
      return new GraphEncoding(rows, g.adjacency().copies(c), rowLabels, n, c);
    }
  }

  private static GraphEncoding virtualCopies(
      NodeGraph g, INDArray one, int[][] perCopy, int[] wired, int[] rowLabels) {
    int n = g.numNodes();
    int c = g.numClasses();
    Adjacency[] parts = new Adjacency[c];
    for (int k = 0; k < c; k++) {
      int[] lab = new int[wired.length];
      for (int i = 0; i < wired.length; i++) {
        lab[i] = perCopy[k][wired[i]];
      }
      parts[k] = withClassEdges(g.adjacency(), n, c, wired, lab);
    }
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      INDArray rows = Nd4j.create(one.dataType(), (long) c * (n + c), one.size(1));
      for (int k = 0; k < c; k++) {
        rows.get(NDArrayIndex.interval((long) k * (n + c), (long) (k + 1) * (n + c)), NDArrayIndex.all())
            .assign(one);
      }
      return new GraphEncoding(rows, Adjacency.union(parts), rowLabels, n, c);
    }
  }

  /** The node features followed by C rows of frozen N(0,1) class-node features. */
  static INDArray withClassNodes(NodeGraph g, DataType dt, long seed) {
    int c = g.numClasses();
    long f = g.numFeatures();
    SplittableRandom rng = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    double[] vn = new double[(int) (c * f)];
    for (int i = 0; i < vn.length; i++) {
      vn[i] = gaussian(rng);
    }
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      INDArray rows = Nd4j.create(dt, g.numNodes() + c, f);
      rows.get(NDArrayIndex.interval(0, g.numNodes()), NDArrayIndex.all()).assign(g.features());
      try (INDArray features = Nd4j.create(vn, new long[] {c, f}, 'c')) {
        rows.get(NDArrayIndex.interval(g.numNodes(), g.numNodes() + c), NDArrayIndex.all())
            .assign(features);
      }
      return rows;
    }
  }

  /** Adds C class-node rows after the n real nodes and a bidirectional edge {@code v <-> vn(y)}. */
  static Adjacency withClassEdges(
      Adjacency base, int n, int numClasses, int[] nodes, int[] classes) {
    int[] s = new int[2 * nodes.length];
    int[] d = new int[2 * nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      s[i] = nodes[i];
      d[i] = n + classes[i];
      s[nodes.length + i] = n + classes[i];
      d[nodes.length + i] = nodes[i];
    }
    return base.plus(numClasses, s, d);
  }

  private static int[] union(int[] a, int[] b) {
    return java.util.stream.IntStream.concat(Arrays.stream(a), Arrays.stream(b)).sorted().toArray();
  }

  private static int[] noLabels(int rows) {
    int[] out = new int[rows];
    Arrays.fill(out, -1);
    return out;
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
