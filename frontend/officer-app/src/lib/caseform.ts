/**
 * The category's report form (`CategoryOut.form_fields`) as inputs: initial values, the same
 * checks the server makes (`cases.services.clean_form_data`), and the `form_data` JSON sent.
 */

export type FieldType = "text" | "number" | "choice" | "boolean";

export interface FormFieldSpec {
  name: string;
  label: string;
  type: FieldType;
  required?: boolean;
  choices?: string[];
}

/** What the inputs hold: text for text/number/choice (as typed), a flag for boolean. */
export type FormValues = Record<string, string | boolean>;

export type FieldErrorKey = "required" | "number" | "range" | "choice" | "tooLong";

export interface FieldError {
  key: FieldErrorKey;
  label: string;
  choices?: string;
}

const MAX_NUMBER = 1_000_000;
const MAX_TEXT = 200;

export function initialValues(spec: readonly FormFieldSpec[]): FormValues {
  const values: FormValues = {};
  for (const field of spec) values[field.name] = field.type === "boolean" ? false : "";
  return values;
}

function isEmpty(value: string | boolean | undefined): boolean {
  return value === undefined || (typeof value === "string" && value.trim() === "");
}

/** One field's problem, or null (the server says the same, in the same words). */
export function checkField(field: FormFieldSpec, value: string | boolean | undefined): FieldError | null {
  if (field.type === "boolean") return null; // unticked is an answer ("否")
  if (isEmpty(value)) return field.required ? { key: "required", label: field.label } : null;
  const text = String(value).trim();
  if (field.type === "number") {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return { key: "number", label: field.label };
    const n = Number(text);
    if (n < 0 || n > MAX_NUMBER) return { key: "range", label: field.label };
  } else if (field.type === "choice") {
    if (!(field.choices ?? []).includes(text)) {
      return { key: "choice", label: field.label, choices: (field.choices ?? []).join("、") };
    }
  } else if (text.length > MAX_TEXT) {
    return { key: "tooLong", label: field.label };
  }
  return null;
}

/** Every field's problem, by field name (empty: the form may be sent). */
export function validateForm(spec: readonly FormFieldSpec[], values: FormValues): Record<string, FieldError> {
  const errors: Record<string, FieldError> = {};
  for (const field of spec) {
    const error = checkField(field, values[field.name]);
    if (error) errors[field.name] = error;
  }
  return errors;
}

/** The answers as the API's `form_data` object: numbers as numbers, empty answers left out. */
export function formPayload(spec: readonly FormFieldSpec[], values: FormValues): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const field of spec) {
    const value = values[field.name];
    if (field.type === "boolean") {
      out[field.name] = value === true;
      continue;
    }
    if (isEmpty(value)) continue;
    const text = String(value).trim();
    out[field.name] = field.type === "number" ? Number(text) : text;
  }
  return out;
}
