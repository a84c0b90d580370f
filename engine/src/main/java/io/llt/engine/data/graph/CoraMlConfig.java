package io.llt.engine.data.graph;

import io.llt.engine.BadInputException;
import io.llt.engine.config.Checks;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DatasetLocator;
import io.llt.engine.spi.DataSourceProvider;
import io.llt.engine.spi.GraphDataConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Cora_ML as PyG's {@code CitationFull} loads it (Bojchevski and Guennemann's graph2gauss file):
 * 2995 papers, 2879 features, 7 classes, 8158 undirected edges, with one of ForwardGNN's five
 * node splits (about 64/16/20 %). As the reference prepares it, features are binarised (x > 0
 * becomes 1) and then row-normalised, self-loops are dropped and the stored links symmetrised. Read
 * from {@code ../shared/data/cora_ml/text} ({@code features.txt}, {@code labels.txt}, {@code
 * edges.directed.txt}) and the split files {@code {train,val,test}-split<i>.txt} of {@code
 * ../shared/data/forwardgnn-splits/CitationFull-Cora_ML}; never downloaded. Type id {@code
 * cora-ml}.
 *
 * <p>The data README's caveat applies: the node order of this file could not be checked against
 * the file PyG downloads, so applying ForwardGNN's split rests on that assumption.
 *
 * @param path the directory holding the three graph files, directly or in its {@code text}
 *     sub-directory, relative to the config file; null searches {@code $LLT_DATA_DIR/cora_ml},
 *     {@code ~/.cache/llt/datasets/cora_ml} and {@code /usr/share/datasets/cora_ml}
 * @param splits the directory of the split files, relative to the config file; null looks for
 *     {@code forwardgnn-splits/CitationFull-Cora_ML} beside the dataset's directory
 * @param split which of the five splits, 0..4; default 0
 * @param binarize replace non-zero features by 1; default true (PyG's loader)
 * @param rowNormalize divide each feature row by its sum; default true (PyG's {@code
 *     NormalizeFeatures})
 */
public record CoraMlConfig(
    Path path, Path splits, Integer split, Boolean binarize, Boolean rowNormalize)
    implements GraphDataConfig {
  /** The type id. */
  public static final String ID = "cora-ml";

  /** The feature width. */
  public static final int FEATURES = 2879;

  /** Applies defaults and validates. */
  public CoraMlConfig {
    split = split == null ? 0 : split;
    Checks.nonNegative("split", split);
    if (split > 4) {
      throw new io.llt.engine.config.InvalidValueException(
          "split", "must be one of ForwardGNN's five splits 0..4, found " + split);
    }
    binarize = binarize == null || binarize;
    rowNormalize = rowNormalize == null || rowNormalize;
  }

  @Override
  public long[] exampleShape() {
    return new long[] {FEATURES};
  }

  @Override
  public int numClasses() {
    return 7;
  }

  @Override
  public NodeGraph loadGraph(DataContext context) {
    List<String> names = List.of("features.txt", "labels.txt", "edges.directed.txt");
    Path dir =
        new DatasetLocator(context)
            .locateFiles(
                "cora_ml", path, names, "text",
                "Point data.path at ../shared/data/cora_ml (or set LLT_DATA_DIR to"
                    + " ../shared/data).");
    Path splitDir = splitDir(dir, context);
    return GraphTextSource.load(
        new GraphTextSource.Files(
            ID,
            dir.resolve("features.txt"),
            dir.resolve("labels.txt"),
            dir.resolve("edges.directed.txt"),
            splitDir.resolve("train-split" + split + ".txt"),
            splitDir.resolve("val-split" + split + ".txt"),
            splitDir.resolve("test-split" + split + ".txt"),
            FEATURES,
            numClasses(),
            binarize,
            rowNormalize),
        context.dataType());
  }

  private Path splitDir(Path dataDir, DataContext context) {
    String want = "train-split" + split + ".txt";
    if (splits != null) {
      Path base = context.configDir() == null ? Path.of("") : context.configDir();
      Path d = base.resolve(splits).toAbsolutePath().normalize();
      if (!Files.isRegularFile(d.resolve(want))) {
        throw new BadInputException(
            "data.splits " + d + " has no " + want
                + "; point it at ../shared/data/forwardgnn-splits/CitationFull-Cora_ML");
      }
      return d;
    }
    List<Path> tried = new ArrayList<>();
    for (Path up = dataDir.getParent(); up != null && tried.size() < 3; up = up.getParent()) {
      Path d = up.resolve("forwardgnn-splits").resolve("CitationFull-Cora_ML");
      tried.add(d);
      if (Files.isRegularFile(d.resolve(want))) {
        return d;
      }
    }
    throw new BadInputException(
        "ForwardGNN's Cora_ML split files not found; looked in " + tried
            + "; set data.splits to ../shared/data/forwardgnn-splits/CitationFull-Cora_ML");
  }

  /** Registers {@code type: cora-ml}. */
  public static final class Provider implements DataSourceProvider {
    @Override
    public String id() {
      return ID;
    }

    @Override
    public Class<CoraMlConfig> configType() {
      return CoraMlConfig.class;
    }

    @Override
    public String description() {
      return "Cora_ML (CitationFull) citation graph with ForwardGNN's five 64/16/20 node splits";
    }
  }
}
