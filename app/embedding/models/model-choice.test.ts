import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../config.server";
import { ModelChoiceError, parseImageModel, parseTextModel } from "./model-choice";

const env = (vars: Record<string, string>) => ({ NODE_ENV: "test", ...vars }) as NodeJS.ProcessEnv;

describe("TEXT_MODEL / IMAGE_MODEL", () => {
  it("default to the built-in hashed text vector and MobileNetV2", () => {
    expect(parseTextModel(undefined)).toBe("hashed");
    expect(parseTextModel("  ")).toBe("hashed");
    expect(parseImageModel(undefined)).toBe("mobilenetv2");
    const cfg = readConfig(env({}));
    expect(cfg.textModel).toBe("hashed");
    expect(cfg.imageModel).toBe("mobilenetv2");
  });

  it("accept the optional models, case-insensitively", () => {
    expect(parseTextModel("MiniLM")).toBe("minilm");
    expect(parseTextModel("clip")).toBe("clip");
    expect(parseImageModel("CLIP")).toBe("clip");
    expect(readConfig(env({ TEXT_MODEL: "minilm", IMAGE_MODEL: "clip" }))).toMatchObject({ textModel: "minilm", imageModel: "clip" });
  });

  it("refuse anything else with one line naming the variable and the choices", () => {
    expect(() => parseTextModel("bert")).toThrow(ModelChoiceError);
    expect(() => readConfig(env({ IMAGE_MODEL: "resnet" }))).toThrow(ConfigError);
    expect(() => readConfig(env({ IMAGE_MODEL: "resnet" }))).toThrow('IMAGE_MODEL must be one of mobilenetv2, clip (got "resnet")');
    expect(() => readConfig(env({ TEXT_MODEL: "bert" }))).toThrow("TEXT_MODEL must be one of hashed, minilm, clip");
  });
});
