package dev.jbuild.dockerfile.lint;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every build check jbuild knows, with BuildKit's names, descriptions, documentation links and
 * message formats ({@code frontend/dockerfile/linter/ruleset.go}).
 */
public final class Rules {

  private Rules() {}

  private static Rule rule(String name, String description, String page, boolean experimental, String format) {
    Optional<String> url =
        page.isEmpty() ? Optional.empty() : Optional.of("https://docs.docker.com/go/dockerfile/rule/" + page + "/");
    return new Rule(name, description, url, experimental, format);
  }

  public static final Rule STAGE_NAME_CASING =
      rule("StageNameCasing", "Stage names should be lowercase", "stage-name-casing", false,
          "Stage name '%s' should be lowercase");
  public static final Rule FROM_AS_CASING =
      rule("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword", "from-as-casing",
          false, "'%s' and '%s' keywords' casing do not match");
  public static final Rule NO_EMPTY_CONTINUATION =
      rule("NoEmptyContinuation", "Empty continuation lines will become errors in a future release",
          "no-empty-continuation", false, "Empty continuation line");
  public static final Rule CONSISTENT_INSTRUCTION_CASING =
      rule("ConsistentInstructionCasing",
          "All commands within the Dockerfile should use the same casing (either upper or lower)",
          "consistent-instruction-casing", false,
          "Command '%s' should match the case of the command majority (%s)");
  public static final Rule DUPLICATE_STAGE_NAME =
      rule("DuplicateStageName", "Stage names should be unique", "duplicate-stage-name", false,
          "Duplicate stage name %q, stage names should be unique");
  public static final Rule RESERVED_STAGE_NAME =
      rule("ReservedStageName", "Reserved words should not be used as stage names", "reserved-stage-name",
          false, "Stage name should not use the same name as reserved stage %q");
  public static final Rule JSON_ARGS_RECOMMENDED =
      rule("JSONArgsRecommended",
          "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
          "json-args-recommended", false,
          "JSON arguments recommended for %s to prevent unintended behavior related to OS signals");
  public static final Rule MAINTAINER_DEPRECATED =
      rule("MaintainerDeprecated",
          "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
          "maintainer-deprecated", false, "Maintainer instruction is deprecated in favor of using label");
  /** Second argument: {@code " (did you mean X?)"} or empty. */
  public static final Rule UNDEFINED_ARG_IN_FROM =
      rule("UndefinedArgInFrom", "FROM command must use declared ARGs", "undefined-arg-in-from", false,
          "FROM argument '%s' is not declared%s");
  public static final Rule WORKDIR_RELATIVE_PATH =
      rule("WorkdirRelativePath",
          "Relative workdir without an absolute workdir declared within the build can have unexpected"
              + " results if the base image changes",
          "workdir-relative-path", false,
          "Relative workdir %q can have unexpected results if the base image changes");
  /** Second argument: {@code " (did you mean $X?)"} or empty. */
  public static final Rule UNDEFINED_VAR =
      rule("UndefinedVar", "Variables should be defined before their use", "undefined-var", false,
          "Usage of undefined variable '$%s'%s");
  public static final Rule MULTIPLE_INSTRUCTIONS_DISALLOWED =
      rule("MultipleInstructionsDisallowed",
          "Multiple instructions of the same type should not be used in the same stage",
          "multiple-instructions-disallowed", false,
          "Multiple %s instructions should not be used in the same stage because only the last one will be used");
  public static final Rule LEGACY_KEY_VALUE_FORMAT =
      rule("LegacyKeyValueFormat", "Legacy key/value format with whitespace separator should not be used",
          "legacy-key-value-format", false,
          "\"%s key=value\" should be used instead of legacy \"%s key value\" format");
  public static final Rule INVALID_BASE_IMAGE_PLATFORM =
      rule("InvalidBaseImagePlatform", "Base image platform does not match expected target platform", "",
          false, "Base image %s was pulled with platform %q, expected %q for current build");
  public static final Rule REDUNDANT_TARGET_PLATFORM =
      rule("RedundantTargetPlatform",
          "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
          "redundant-target-platform", false,
          "Setting platform to predefined %s in FROM is redundant as this is the default behavior");
  public static final Rule SECRETS_USED_IN_ARG_OR_ENV =
      rule("SecretsUsedInArgOrEnv", "Sensitive data should not be used in the ARG or ENV commands",
          "secrets-used-in-arg-or-env", false,
          "Do not use ARG or ENV instructions for sensitive data (%s %q)");
  public static final Rule INVALID_DEFAULT_ARG_IN_FROM =
      rule("InvalidDefaultArgInFrom",
          "Default value for global ARG results in an empty or invalid base image name",
          "invalid-default-arg-in-from", false,
          "Default value for ARG %s results in empty or invalid base image name");
  public static final Rule FROM_PLATFORM_FLAG_CONST_DISALLOWED =
      rule("FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value",
          "from-platform-flag-const-disallowed", false,
          "FROM --platform flag should not use constant value %q");
  public static final Rule COPY_IGNORED_FILE =
      rule("CopyIgnoredFile", "Attempting to Copy file that is excluded by .dockerignore", "copy-ignored-file",
          false, "Attempting to %s file %q that is excluded by .dockerignore");
  public static final Rule INVALID_DEFINITION_DESCRIPTION =
      rule("InvalidDefinitionDescription",
          "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`."
              + " If this is not intended to be a description comment, add an empty line or comment between"
              + " the instruction and the comment.",
          "invalid-definition-description", true,
          "Comment for %s should follow the format: `# %s <description>`");
  public static final Rule EXPOSE_PROTO_CASING =
      rule("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase", "expose-proto-casing",
          false, "Defined protocol '%s' in EXPOSE instruction should be lowercase");
  public static final Rule EXPOSE_INVALID_FORMAT =
      rule("ExposeInvalidFormat",
          "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an"
              + " error in a future release",
          "expose-invalid-format", false,
          "EXPOSE instruction should not define an IP address or host-port mapping, found '%s'");

  /** All rules, in BuildKit's order. */
  public static final List<Rule> ALL =
      List.of(
          STAGE_NAME_CASING, FROM_AS_CASING, NO_EMPTY_CONTINUATION, CONSISTENT_INSTRUCTION_CASING,
          DUPLICATE_STAGE_NAME, RESERVED_STAGE_NAME, JSON_ARGS_RECOMMENDED, MAINTAINER_DEPRECATED,
          UNDEFINED_ARG_IN_FROM, WORKDIR_RELATIVE_PATH, UNDEFINED_VAR, MULTIPLE_INSTRUCTIONS_DISALLOWED,
          LEGACY_KEY_VALUE_FORMAT, INVALID_BASE_IMAGE_PLATFORM, REDUNDANT_TARGET_PLATFORM,
          SECRETS_USED_IN_ARG_OR_ENV, INVALID_DEFAULT_ARG_IN_FROM, FROM_PLATFORM_FLAG_CONST_DISALLOWED,
          COPY_IGNORED_FILE, INVALID_DEFINITION_DESCRIPTION, EXPOSE_PROTO_CASING, EXPOSE_INVALID_FORMAT);

  private static final Map<String, Rule> BY_NAME = new LinkedHashMap<>();

  static {
    for (Rule r : ALL) {
      BY_NAME.put(r.name(), r);
    }
  }

  /** The rule of that name (exact case), if there is one. */
  public static Optional<Rule> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }
}
