/** The photo the officer just took, handed from the home screen to the report screen. */
import { shallowRef } from "vue";

export const pendingPhoto = shallowRef<{ file: File; takenAt: string } | null>(null);

export function takePhoto(file: File): void {
  const takenAt = new Date(file.lastModified && Date.now() - file.lastModified < 3_600_000 ? file.lastModified : Date.now());
  pendingPhoto.value = { file, takenAt: takenAt.toISOString() };
}
