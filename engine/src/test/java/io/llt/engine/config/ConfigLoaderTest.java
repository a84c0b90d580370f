package io.llt.engine.config;

import static io.llt.engine.config.TestConfigs.VALID_YAML;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.llt.engine.config.TestConfigs.Activation;
import io.llt.engine.config.TestConfigs.BackpropRule;
import io.llt.engine.config.TestConfigs.Block;
import io.llt.engine.config.TestConfigs.Experiment;
import io.llt.engine.config.TestConfigs.Schedule;
import io.llt.engine.config.TestConfigs.Trainer;
import io.llt.engine.config.TestConfigs.WithMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  private static final String KNOWN_TRAINER_KEYS = "(known: schedule, epochs, batchSize, shuffle)";
  private static final String KNOWN_RULES = "known: backprop, mono-forward";

  private final ConfigLoader loader = new ConfigLoader(TestConfigs.registry());

  @Test
  void bindsNestedRecordsListsEnumsFamiliesAndDefaults() {
    LoadedConfig<Experiment> loaded = load(VALID_YAML);

    assertThat(loaded.config()).isEqualTo(TestConfigs.valid());
    assertThat(loaded.source()).isEqualTo("x.yaml");
    assertThat(loaded.config().model().blocks().get(0).activation()).isEqualTo(Activation.RELU);
  }

  @Test
  void unknownKeySuggestsTheClosestKnownKeyAtTheKeyPosition() {
    assertThat(problems(withLine(18, "  epoch: 3")))
        .containsExactly(
            "x.yaml:18:3 trainer.epoch unknown key 'epoch'; did you mean 'epochs'? "
                + KNOWN_TRAINER_KEYS);
  }

  @Test
  void unknownKeyWithoutCloseMatchListsOnlyTheKnownKeys() {
    assertThat(problems(withLine(20, "  verbose: true")))
        .containsExactly("x.yaml:20:3 trainer.verbose unknown key 'verbose' " + KNOWN_TRAINER_KEYS);
  }

  @Test
  void unknownKeyMatchingIgnoringCaseIsSuggested() {
    assertThat(problems(withLine(19, "  BATCHSIZE: 16")))
        .containsExactly(
            "x.yaml:19:3 trainer.BATCHSIZE unknown key 'BATCHSIZE'; did you mean 'batchSize'? "
                + KNOWN_TRAINER_KEYS);
  }

  @Test
  void reportsEveryMistakeInAFileAtOnceInLineOrder() {
    String yaml =
        withLine(
            withLine(withLine(VALID_YAML, 18, "  epochs: ten"), 13, "      activaton: one-hot"),
            9,
            "      units: -8");

    ConfigException e = failure(yaml);

    List<String> expected =
        List.of(
            "x.yaml:9:14 model.blocks[0].units must be > 0, found -8",
            "x.yaml:13:7 model.blocks[1].activaton unknown key 'activaton'; did you mean"
                + " 'activation'? (known: id, units, activation, rule)",
            "x.yaml:18:11 trainer.epochs must be an integer, found 'ten'");
    assertThat(e.problems())
        .extracting(ConfigProblem::toString)
        .containsExactlyElementsOf(expected);
    assertThat(e.getMessage()).isEqualTo(String.join("\n", expected));
    assertThat(e.exitCode()).isEqualTo(2);
  }

  @Test
  void compactConstructorProblemIsAttributedToTheComponentValue() {
    String line = "      rule: {type: mono-forward, learningRate: -0.01, margin: 0.5}";

    assertThat(problems(withLine(10, line)))
        .containsExactly(
            "x.yaml:10:"
                + col(line, "-0.01")
                + " model.blocks[0].rule.learningRate must be > 0, found -0.01");
  }

  @Test
  void wholeRecordProblemIsAttributedToTheRecordKey() {
    String yaml = withLine(withLine(VALID_YAML, 17, "  schedule: backprop"), 18, "  epochs: 200");

    assertThat(problems(yaml))
        .containsExactly(
            "x.yaml:16:1 trainer a backprop schedule allows at most 100 epochs, found 200");
  }

  @Test
  void constructorProblemNamingANestedValueIsAttributedToThatValue() {
    assertThat(problems(withLine(11, "    - id: b1")))
        .containsExactly("x.yaml:11:11 model.blocks[1].id repeats the id of blocks[0]");
  }

  @Test
  void plainIllegalArgumentFromAConstructorIsAttributedToTheRecord() {
    assertThat(problems(withLine(11, "    - id: ' '")))
        .containsExactly("x.yaml:11:7 model.blocks[1] id must not be blank");
  }

  @Test
  void unsupportedComponentTypeIsABugNotAProblem() {
    assertThatThrownBy(
            () -> loader.loadString("counts: {a: 1}", "m.yaml", WithMap.class, List.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unsupported config type java.util.Map at 'counts'");
  }

  @Test
  void absentComponentRejectedByItsRecordIsAttributedToTheRecord() {
    assertThat(problems(withLine(6, "")))
        .containsExactly(
            "x.yaml:5:1 model.input is required (the per-example input shape, for example [784])");
  }

  @Test
  void absentPrimitiveIsRequired() {
    assertThat(problems(withLine(18, "")))
        .containsExactly("x.yaml:16:1 trainer.epochs is required");
  }

  @Test
  void badEnumListsTheAllowedValues() {
    assertThat(problems(withLine(17, "  schedule: gredy")))
        .containsExactly(
            "x.yaml:17:13 trainer.schedule must be one of greedy, simultaneous, backprop;"
                + " found 'gredy'");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
18 | '  epochs: ten'           | trainer.epochs must be an integer, found 'ten'
2  | 'seed: 1.5'               | seed must be an integer, found '1.5'
19 | '  batchSize: 3000000000' | trainer.batchSize must be an integer in [-2147483648, 2147483647], found 3000000000
20 | '  shuffle: yes'          | trainer.shuffle must be true or false, found 'yes'
12 | '      units: [8]'        | model.blocks[1].units must be an integer, found a list
6  | '  input: {a: 1}'         | model.input must be a list, found a mapping
6  | '  input: [4, ~]'         | model.input[1] must not be null
4  | 'timeLimit: ten minutes'  | timeLimit is not a valid Duration (Text cannot be parsed to a Duration), found 'ten minutes'
""")
  void rejectsScalarsThatDoNotParse(int line, String text, String expected) {
    List<String> found = problems(withLine(line, text));

    assertThat(found).hasSize(1);
    assertThat(found.get(0)).startsWith("x.yaml:" + line + ":").endsWith(" " + expected);
  }

  @ParameterizedTest
  @CsvSource({"NaN", ".nan", ".inf", "-Infinity", "1e999"})
  void rejectsNonFiniteNumbers(String value) {
    String line = "      rule: {type: mono-forward, learningRate: " + value + "}";

    assertThat(problems(withLine(10, line)))
        .containsExactly(
            "x.yaml:10:"
                + col(line, value)
                + " model.blocks[0].rule.learningRate must be a finite number, found "
                + value);
  }

  @Test
  void wrongNodeKindNamesWhatWasFound() {
    assertThat(problems("name: x\nmodel: [1, 2]\ntrainer: {epochs: 1}\n"))
        .containsExactly("x.yaml:2:1 model must be a mapping, found a list");
  }

  @Test
  void unknownFamilyTypeListsTheRegisteredIds() {
    assertThat(problems(withLine(15, "        type: mono-forwad")))
        .containsExactly(
            "x.yaml:15:15 model.blocks[1].rule.type 'mono-forwad' is not a registered rule; "
                + KNOWN_RULES);
  }

  @Test
  void missingFamilyTypeListsTheRegisteredIds() {
    assertThat(problems(withLine(10, "      rule: {learningRate: 0.1}")))
        .containsExactly(
            "x.yaml:10:7 model.blocks[0].rule.type is required to choose the rule; " + KNOWN_RULES);
  }

  @Test
  void familyNodeMustBeAMapping() {
    assertThat(problems(withLine(10, "      rule: backprop")))
        .containsExactly(
            "x.yaml:10:13 model.blocks[0].rule must be a mapping with a 'type' key naming the"
                + " rule, found 'backprop'; "
                + KNOWN_RULES);
  }

  @Test
  void familyMemberRejectsKeysOfAnotherMember() {
    assertThat(problems(withLine(15, "        type: backprop\n        margin: 0.5")))
        .containsExactly(
            "x.yaml:16:9 model.blocks[1].rule.margin unknown key 'margin' (known: type,"
                + " learningRate)");
  }

  @Test
  void duplicateKeyIsAProblem() {
    assertThat(problems(withLine(3, "seed: 8")))
        .containsExactly("x.yaml:3:1 seed duplicate key 'seed' (first set at line 2)");
  }

  @Test
  void emptyDocumentReachesTheRootConstructor() {
    assertThat(problems("# nothing yet\n"))
        .containsExactly("x.yaml:1:1 name is required (a run name, for example mnist-ff)");
  }

  @Test
  void typedRecordDeclaredDirectlyAcceptsOnlyItsOwnType() {
    LoadedConfig<BackpropRule> ok =
        loader.loadString(
            "type: backprop\nlearningRate: 0.5\n", "r.yaml", BackpropRule.class, List.of());
    ConfigException wrong =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                loader.loadString("type: mono-forward\n", "r.yaml", BackpropRule.class, List.of()));

    assertThat(ok.config()).isEqualTo(new BackpropRule(0.5));
    assertThat(wrong).isNotNull();
    assertThat(wrong.problems())
        .extracting(ConfigProblem::toString)
        .containsExactly("r.yaml:1:7 type must be 'backprop' here, found 'mono-forward'");
  }

  @Test
  void yamlSyntaxErrorIsAProblemAtTheMark() {
    ConfigException e = failure("name: tiny\nseed: 7: 8\n");

    assertThat(e.problems()).hasSize(1);
    ConfigProblem p = e.problems().get(0);
    assertThat(p.line()).isEqualTo(2);
    assertThat(p.column()).isEqualTo(8);
    assertThat(p.path()).isEmpty();
    assertThat(p.toString())
        .startsWith("x.yaml:2:8 invalid YAML: mapping values are not allowed here");
  }

  @Test
  void overridesChangeValuesReplaceNodesAndSetLists() {
    Experiment c =
        load(
                VALID_YAML,
                "trainer.epochs=7",
                "model.blocks[0].rule={type: backprop, learningRate: 0.5}",
                "model.input=[784]",
                "model.blocks[1].activation=relu")
            .config();

    assertThat(c.trainer().epochs()).isEqualTo(7);
    assertThat(c.model().blocks().get(0).rule()).isEqualTo(new BackpropRule(0.5));
    assertThat(c.model().input()).containsExactly(784);
    assertThat(c.model().blocks().get(1))
        .isEqualTo(new Block("b2", 3, Activation.RELU, new BackpropRule(0.01)));
  }

  @Test
  void overridesCreateMissingMappingsAndAreLocatedAtTheSetFlag() {
    String withoutTrainer = VALID_YAML.substring(0, VALID_YAML.indexOf("trainer:"));

    LoadedConfig<Experiment> loaded = load(withoutTrainer, "trainer.epochs=2");

    assertThat(loaded.config().trainer()).isEqualTo(new Trainer(Schedule.GREEDY, 2, 32, true));
    assertThat(loaded.locations().get("trainer.epochs"))
        .isEqualTo(new ConfigLocation("--set trainer.epochs=2", 0, 0));
  }

  @Test
  void laterOverrideWins() {
    assertThat(load(VALID_YAML, "trainer.epochs=4", "trainer.epochs=5").config().trainer().epochs())
        .isEqualTo(5);
  }

  @Test
  void badOverrideValuesAreLocatedAtTheSetFlag() {
    assertThat(problems(VALID_YAML, "trainer.epochs=ten", "trainer.epoch=3"))
        .containsExactly(
            "--set trainer.epochs=ten trainer.epochs must be an integer, found 'ten'",
            "--set trainer.epoch=3 trainer.epoch unknown key 'epoch'; did you mean 'epochs'? "
                + KNOWN_TRAINER_KEYS);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
model.blocks[5].units=1 | index 5 out of range (list has 2 items)
trainer.epochs          | expected dotted.path=value, for example trainer.epochs=3
trainer..epochs=3       | malformed path 'trainer..epochs'; expected names joined by dots, each with optional [index], for example model.blocks[1].units
trainer.epochs.max=3    | cannot set 'max' inside trainer.epochs: it is '3', not a mapping
trainer[0]=3            | cannot index into trainer: it is a mapping, not a list
output[0]=3             | cannot index into output: it is 'runs/tiny', not a list
seed=[1, 2              | the value is not valid YAML: expected ',' or ']', but got <stream end>
""")
  void rejectsOverridesThatCannotApply(String override, String message) {
    assertThat(problems(VALID_YAML, override))
        .containsExactly("--set " + override + ": " + message);
  }

  @Test
  void overrideProblemsAreReportedWithFileProblems() {
    assertThat(problems(withLine(17, "  schedule: gredy"), "model.blocks[2].units=1"))
        .containsExactly(
            "x.yaml:17:13 trainer.schedule must be one of greedy, simultaneous, backprop;"
                + " found 'gredy'",
            "--set model.blocks[2].units=1: index 2 out of range (list has 2 items)");
  }

  @Test
  void loadsAFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("tiny.yaml"), VALID_YAML);

    LoadedConfig<Experiment> loaded = loader.load(file, Experiment.class, List.of());

    assertThat(loaded.config()).isEqualTo(TestConfigs.valid());
    assertThat(loaded.source()).isEqualTo(file.toString());
    assertThat(loaded.locations().get("trainer.epochs"))
        .isEqualTo(new ConfigLocation(file.toString(), 18, 11));
  }

  @Test
  void missingFileIsOneProblemNamingTheFile(@TempDir Path dir) {
    Path file = dir.resolve("nope.yaml");

    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> loader.load(file, Experiment.class, List.of()));

    assertThat(e).isNotNull();
    assertThat(e.problems()).hasSize(1);
    assertThat(e.getMessage())
        .startsWith(file + ": config file not found")
        .endsWith("check the path");
  }

  @Test
  void directoryIsNotAConfigFile(@TempDir Path dir) {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> loader.load(dir, Experiment.class, List.of()));

    assertThat(e).isNotNull();
    assertThat(e.getMessage())
        .isEqualTo(
            dir + ": cannot read config file (it is a directory); pass a readable YAML file");
  }

  @Test
  void problemAtUsesTheLongestWrittenPrefix() {
    LoadedConfig<Experiment> loaded = load(VALID_YAML, "trainer.batchSize=8");

    assertThat(loaded.problemAt("model.blocks[1].layers[0].units", "must be > 0").toString())
        .isEqualTo("x.yaml:11:7 model.blocks[1].layers[0].units must be > 0");
    assertThat(loaded.problemAt("model.blocks[1].rule.type", "clashes").toString())
        .isEqualTo("x.yaml:15:15 model.blocks[1].rule.type clashes");
    assertThat(loaded.problemAt("trainer.batchSize", "too big").toString())
        .isEqualTo("--set trainer.batchSize=8 trainer.batchSize too big");
    assertThat(loaded.problemAt("memory.budget", "unknown").toString())
        .isEqualTo("x.yaml memory.budget unknown");
  }

  private LoadedConfig<Experiment> load(String yaml, String... overrides) {
    return loader.loadString(yaml, "x.yaml", Experiment.class, List.of(overrides));
  }

  private ConfigException failure(String yaml, String... overrides) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml, overrides));
    assertThat(e).as("expected a ConfigException").isNotNull();
    return e;
  }

  private List<String> problems(String yaml, String... overrides) {
    return failure(yaml, overrides).problems().stream().map(ConfigProblem::toString).toList();
  }

  /** Returns VALID_YAML with 1-based line {@code n} replaced. */
  private static String withLine(int n, String text) {
    return withLine(VALID_YAML, n, text);
  }

  private static String withLine(String yaml, int n, String text) {
    String[] lines = yaml.split("\n", -1);
    lines[n - 1] = text;
    return String.join("\n", Arrays.asList(lines));
  }

  private static int col(String line, String token) {
    return line.indexOf(token) + 1;
  }
}
