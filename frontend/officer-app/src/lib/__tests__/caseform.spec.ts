import { describe, expect, it } from "vitest";
import { mount } from "@vue/test-utils";
import { i18n } from "../../i18n";
import CaseFormFields from "../../components/CaseFormFields.vue";
import { formPayload, initialValues, validateForm, type FormFieldSpec } from "../caseform";

// the 占道经营 form of cases/defaults.py, plus a required text and a yes/no
const SPEC: FormFieldSpec[] = [
  { name: "stall_count", label: "摊点数量", type: "number" },
  { name: "goods", label: "经营类型", type: "choice", choices: ["餐饮", "果蔬", "日用百货", "其他"] },
  { name: "shop", label: "店名", type: "text", required: true },
  { name: "blocking", label: "占用盲道", type: "boolean" },
];

describe("case form from a category's spec", () => {
  it("starts empty (a yes/no starts as no)", () => {
    expect(initialValues(SPEC)).toEqual({ stall_count: "", goods: "", shop: "", blocking: false });
  });

  it("checks what the server checks", () => {
    const errors = validateForm(SPEC, { stall_count: "两个", goods: "烧烤", shop: " ", blocking: false });
    expect(errors.stall_count.key).toBe("number");
    expect(errors.goods).toMatchObject({ key: "choice", choices: "餐饮、果蔬、日用百货、其他" });
    expect(errors.shop).toMatchObject({ key: "required", label: "店名" });
    expect(errors.blocking).toBeUndefined();
    expect(validateForm(SPEC, { stall_count: "2000000", goods: "", shop: "x", blocking: false }).stall_count.key).toBe("range");
    expect(validateForm(SPEC, { stall_count: "", goods: "", shop: "老王烧烤", blocking: false })).toEqual({});
  });

  it("sends numbers as numbers and leaves empty answers out", () => {
    expect(formPayload(SPEC, { stall_count: " 3 ", goods: "果蔬", shop: "老王", blocking: true })).toEqual({
      stall_count: 3,
      goods: "果蔬",
      shop: "老王",
      blocking: true,
    });
    expect(formPayload(SPEC, initialValues(SPEC))).toEqual({ blocking: false });
  });

  it("renders one input per field and shows the errors in Chinese", async () => {
    const w = mount(CaseFormFields, {
      props: {
        spec: SPEC,
        modelValue: initialValues(SPEC),
        errors: validateForm(SPEC, initialValues(SPEC)),
        "onUpdate:modelValue": (v: Record<string, string | boolean>) => w.setProps({ modelValue: v }),
      },
      global: {
        plugins: [i18n],
        stubs: {
          "van-field": {
            props: ["label", "errorMessage", "modelValue"],
            template: '<label class="field">{{ label }}<input :value="modelValue" /><em>{{ errorMessage }}</em></label>',
          },
        },
      },
    });
    expect(w.findAll(".field").map((f) => f.text())).toEqual(["摊点数量", "店名请填写“店名”"]);
    const chips = w.get("[data-testid=field-goods]").findAll("button");
    expect(chips.map((b) => b.text())).toEqual(["餐饮", "果蔬", "日用百货", "其他"]);
    await chips[1].trigger("click");
    expect(w.props("modelValue")).toMatchObject({ goods: "果蔬" });
    expect(w.get("[data-testid=field-goods] .on").text()).toBe("果蔬");
    await w.get("[data-testid=field-blocking]").findAll("button")[0].trigger("click");
    expect(w.props("modelValue")).toMatchObject({ blocking: true });
  });
});
