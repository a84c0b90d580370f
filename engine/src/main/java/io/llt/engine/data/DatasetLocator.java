package io.llt.engine.data;

import io.llt.engine.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the directory of a named dataset (Fashion-MNIST, MNIST, KMNIST, CIFAR-10, ...).
 *
 * <p>The places are tried in this order, and the first that holds all the files wins:
 *
 * <ol>
 *   <li>the explicit {@code data.path} of the config, resolved against {@link
 *       DataContext#configDir()} (a leading {@code ~} means {@link DataContext#userHome()}). When
 *       it is set it must hold the files: a wrong path is an error, not a reason to look elsewhere;
 *   <li>{@code $LLT_DATA_DIR/<name>}, from {@link DataContext#environment()};
 *   <li>the cache, {@code <userHome>/.cache/llt/datasets/<name>};
 *   <li>the system location, {@code <systemDatasetsDir>/<name>} (Debian's {@code
 *       dataset-fashion-mnist} installs {@code /usr/share/datasets/fashion-mnist});
 *   <li>a download into the cache, when {@link DataContext#allowDownload()} is true and the dataset
 *       has a {@link DownloadSource} with verified hashes.
 * </ol>
 *
 * <p>For {@link #locate} (the IDX datasets), a directory holds the dataset when each of the four
 * files exists, raw ({@code train-images-idx3-ubyte}) or gzip-compressed ({@code
 * train-images-idx3-ubyte.gz}); the raw file is used when both exist. {@link #locateFiles} finds
 * datasets of other, plain files (CIFAR-10) in the same places, each place or its archive's
 * sub-directory, and never downloads them. When nothing is found, the one-line {@link
 * BadInputException} names every place searched and how to get the data. Immutable and
 * thread-safe.
 */
public final class DatasetLocator {
  /** The environment variable naming a directory that holds one sub-directory per dataset. */
  public static final String DATA_DIR_ENV = "LLT_DATA_DIR";

  /** The four IDX file names of the MNIST family, without the optional {@code .gz}. */
  public static final List<String> IDX_FILE_NAMES =
      List.of(
          "train-images-idx3-ubyte",
          "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte",
          "t10k-labels-idx1-ubyte");

  private static final Logger LOG = LoggerFactory.getLogger(DatasetLocator.class);

  /** Debian packages that install a dataset under {@code /usr/share/datasets/<name>}. */
  private static final Map<String, String> DEBIAN_PACKAGES =
      Map.of("fashion-mnist", "dataset-fashion-mnist");

  private final DataContext context;
  private final Map<String, DownloadSource> sources;

  /**
   * Creates a locator that downloads only the datasets in {@link DownloadSource#KNOWN}.
   *
   * @param context where to look and whether downloading is allowed
   */
  public DatasetLocator(DataContext context) {
    this(context, DownloadSource.KNOWN);
  }

  /**
   * Creates a locator with its own download sources (tests point them at a local server).
   *
   * @param context where to look and whether downloading is allowed
   * @param sources download sources by dataset name; datasets not in it are never downloaded
   */
  public DatasetLocator(DataContext context, Map<String, DownloadSource> sources) {
    this.context = Objects.requireNonNull(context, "context");
    this.sources = Map.copyOf(sources);
  }

  /**
   * Returns the files of dataset {@code name}, searching the places in the order of the class
   * comment.
   *
   * @param name the dataset name, also the directory name under the search roots, for example
   *     {@code fashion-mnist}
   * @param explicitPath the config's {@code data.path}, or null when not set
   * @return the four files
   * @throws BadInputException when the explicit path does not hold the files, or when no place does
   *     and the dataset could not be downloaded
   */
  public IdxFiles locate(String name, Path explicitPath) {
    checkName(name);
    if (explicitPath != null) {
      return locateExplicit(name, resolveExplicit(explicitPath));
    }
    List<String> searched = new ArrayList<>();
    Optional<IdxFiles> found = search(name, DatasetLocator::find, dir -> "", searched);
    if (found.isPresent()) {
      return found.get();
    }
    Path cache = cacheDir(context.userHome(), name);
    String download;
    DownloadSource source = sources.get(name);
    if (source == null) {
      download = "no download (no verified SHA-256 is recorded for '" + name + "')";
    } else if (!context.allowDownload()) {
      download = "download not allowed in this run";
    } else {
      try {
        return download(name, source, cache);
      } catch (BadInputException e) {
        download = "download failed: " + e.getMessage();
      }
    }
    throw new BadInputException(
        "dataset '"
            + name
            + "' not found; looked in: "
            + String.join(", ", searched)
            + "; "
            + download
            + ". "
            + howToGet(name));
  }

  /**
   * Returns the directory of dataset {@code name} stored as plain, uncompressed files, searching
   * the places of the class comment except the download: the first place that holds every file of
   * {@code fileNames}, directly or in its sub-directory {@code subdirectory} (the directory an
   * archive extracts to), wins; the place itself is tried before its sub-directory. Such datasets
   * are never downloaded.
   *
   * @param name the dataset name, also the directory name under the search roots, for example
   *     {@code cifar10}
   * @param explicitPath the config's {@code data.path}, or null when not set
   * @param fileNames the files the dataset consists of, all required
   * @param subdirectory the sub-directory also tried in each place, for example {@code
   *     cifar-10-batches-bin}
   * @param howToGet the end of the not-found message: where to put the files and where to get them
   * @return the directory holding every file of {@code fileNames}
   * @throws BadInputException when the explicit path does not hold the files, or when no place
   *     does; the message names each place searched and, for a place holding only some of the
   *     files, the ones it lacks
   */
  public Path locateFiles(
      String name,
      Path explicitPath,
      List<String> fileNames,
      String subdirectory,
      String howToGet) {
    checkName(name);
    if (fileNames.isEmpty()) {
      throw new IllegalArgumentException("fileNames must not be empty");
    }
    String sub = "[/" + subdirectory + "]";
    if (explicitPath != null) {
      Path dir = resolveExplicit(explicitPath);
      String what = String.join(", ", fileNames) + " of '" + name + "'";
      if (!Files.exists(dir)) {
        throw new BadInputException(
            "data.path "
                + dir
                + " does not exist; point it at the directory holding "
                + what
                + ", or remove it to search the standard places");
      }
      if (!Files.isDirectory(dir)) {
        throw new BadInputException(
            "data.path " + dir + " is a file; point it at the directory holding " + what);
      }
      Optional<Path> found = findPlain(dir, fileNames, subdirectory);
      if (found.isPresent()) {
        return found.get();
      }
      Path best = fullest(dir, fileNames, subdirectory);
      throw new BadInputException(
          "data.path "
              + dir
              + sub
              + " does not hold dataset '"
              + name
              + "': missing "
              + String.join(", ", missingPlain(best, fileNames))
              + " in "
              + best
              + "; put them there, or remove data.path to search the standard places");
    }
    List<String> searched = new ArrayList<>();
    Optional<Path> found =
        search(
            name,
            dir -> findPlain(dir, fileNames, subdirectory),
            dir -> {
              Path best = fullest(dir, fileNames, subdirectory);
              List<String> missing = missingPlain(best, fileNames);
              return sub
                  + (missing.size() == fileNames.size()
                      ? ""
                      : " (incomplete: " + best + " lacks " + String.join(", ", missing) + ")");
            },
            searched);
    if (found.isPresent()) {
      return found.get();
    }
    throw new BadInputException(
        "dataset '"
            + name
            + "' not found; looked in: "
            + String.join(", ", searched)
            + "; it is never downloaded. "
            + howToGet);
  }

  /**
   * Tries {@code $LLT_DATA_DIR/<name>}, the cache and the system location in that order, and
   * returns what {@code finder} finds in the first of them that it accepts. Each place that is
   * not set, or is set but rejected, is added to {@code searched}; a rejected place is followed by
   * {@code note.apply(dir)}.
   */
  private <T> Optional<T> search(
      String name,
      Function<Path, Optional<T>> finder,
      Function<Path, String> note,
      List<String> searched) {
    searched.add("data.path (not set)");

    String envDir = context.environment() == null ? null : context.environment().get(DATA_DIR_ENV);
    if (envDir == null || envDir.isBlank()) {
      searched.add("$" + DATA_DIR_ENV + " (not set)");
    } else {
      Path dir = Path.of(envDir).resolve(name).toAbsolutePath().normalize();
      Optional<T> found = finder.apply(dir);
      if (found.isPresent()) {
        return found;
      }
      searched.add(dir + note.apply(dir) + " ($" + DATA_DIR_ENV + ")");
    }

    Path cache = cacheDir(context.userHome(), name);
    Optional<T> inCache = finder.apply(cache);
    if (inCache.isPresent()) {
      return inCache;
    }
    searched.add(cache + note.apply(cache));

    if (context.systemDatasetsDir() != null) {
      Path system = context.systemDatasetsDir().resolve(name).toAbsolutePath().normalize();
      Optional<T> inSystem = finder.apply(system);
      if (inSystem.isPresent()) {
        return inSystem;
      }
      searched.add(system + note.apply(system));
    }
    return Optional.empty();
  }

  /** Returns {@code dir} or else {@code dir/subdirectory} when it holds every file, else empty. */
  private static Optional<Path> findPlain(Path dir, List<String> fileNames, String subdirectory) {
    for (Path d : List.of(dir, dir.resolve(subdirectory))) {
      if (missingPlain(d, fileNames).isEmpty()) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** Returns whichever of {@code dir} and {@code dir/subdirectory} lacks fewer files. */
  private static Path fullest(Path dir, List<String> fileNames, String subdirectory) {
    Path inSub = dir.resolve(subdirectory);
    return missingPlain(inSub, fileNames).size() < missingPlain(dir, fileNames).size()
        ? inSub
        : dir;
  }

  /** Returns the names of {@code fileNames} that are not regular files in {@code dir}. */
  private static List<String> missingPlain(Path dir, List<String> fileNames) {
    List<String> missing = new ArrayList<>();
    for (String f : fileNames) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        missing.add(f);
      }
    }
    return missing;
  }

  private static void checkName(String name) {
    if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
      throw new IllegalArgumentException("dataset name must be a plain name, found '" + name + "'");
    }
  }

  /**
   * Returns the four files in {@code dir} when all exist (each raw or {@code .gz}), else empty.
   *
   * @param dir the directory to look in; need not exist
   * @return the files, or empty when any is missing
   */
  public static Optional<IdxFiles> find(Path dir) {
    Path[] files = new Path[IDX_FILE_NAMES.size()];
    for (int i = 0; i < files.length; i++) {
      Path f = file(dir, IDX_FILE_NAMES.get(i));
      if (f == null) {
        return Optional.empty();
      }
      files[i] = f;
    }
    return Optional.of(new IdxFiles(dir, files[0], files[1], files[2], files[3]));
  }

  /**
   * Returns the cache directory of a dataset, {@code <userHome>/.cache/llt/datasets/<name>}.
   *
   * @param userHome the user's home directory
   * @param name the dataset name
   * @return the directory (it may not exist)
   */
  public static Path cacheDir(Path userHome, String name) {
    return userHome.resolve(".cache/llt/datasets").resolve(name).toAbsolutePath().normalize();
  }

  private Path resolveExplicit(Path p) {
    String s = p.toString();
    if ((s.equals("~") || s.startsWith("~/")) && context.userHome() != null) {
      p = context.userHome().resolve(s.equals("~") ? "" : s.substring(2));
    }
    Path base = context.configDir() == null ? Path.of("") : context.configDir();
    return base.resolve(p).toAbsolutePath().normalize();
  }

  private static IdxFiles locateExplicit(String name, Path dir) {
    if (!Files.exists(dir)) {
      throw new BadInputException(
          "data.path "
              + dir
              + " does not exist; point it at the directory holding the four IDX "
              + "files of '"
              + name
              + "', or remove it to search the standard places");
    }
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(
          "data.path "
              + dir
              + " is a file; point it at the directory holding the four IDX files "
              + "of '"
              + name
              + "'");
    }
    Optional<IdxFiles> found = find(dir);
    if (found.isPresent()) {
      return found.get();
    }
    List<String> missing = new ArrayList<>();
    for (String f : IDX_FILE_NAMES) {
      if (file(dir, f) == null) {
        missing.add(f + "[.gz]");
      }
    }
    throw new BadInputException(
        "data.path "
            + dir
            + " does not hold dataset '"
            + name
            + "': missing "
            + String.join(", ", missing)
            + "; put the four IDX files there, or remove data.path "
            + "to search the standard places");
  }

  private IdxFiles download(String name, DownloadSource source, Path cache) {
    Downloader downloader = new Downloader(source.baseUrl());
    for (Map.Entry<String, String> e : source.sha256ByFile().entrySet()) {
      String fileName = e.getKey();
      String base =
          fileName.endsWith(".gz") ? fileName.substring(0, fileName.length() - 3) : fileName;
      if (file(cache, base) != null) {
        continue;
      }
      LOG.info("downloading {}{} into {}", source.baseUrl(), fileName, cache);
      downloader.download(fileName, e.getValue(), cache);
    }
    return find(cache)
        .orElseThrow(
            () ->
                new BadInputException(
                    "the download source of '"
                        + name
                        + "' does not provide all four IDX files "
                        + IDX_FILE_NAMES));
  }

  private static Path file(Path dir, String baseName) {
    Path raw = dir.resolve(baseName);
    if (Files.isRegularFile(raw)) {
      return raw;
    }
    Path gz = dir.resolve(baseName + ".gz");
    return Files.isRegularFile(gz) ? gz : null;
  }

  private static String howToGet(String name) {
    String files =
        "the four IDX files (" + String.join(", ", IDX_FILE_NAMES) + ", each raw or .gz)";
    String pkg = DEBIAN_PACKAGES.get(name);
    if (pkg != null) {
      return "Install it with 'sudo apt-get install "
          + pkg
          + "', or put "
          + files
          + " in one of those directories";
    }
    return "Put " + files + " in one of those directories, or set data.path to theirs";
  }
}
