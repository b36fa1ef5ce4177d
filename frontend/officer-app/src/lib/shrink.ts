/**
 * A smaller copy of the photo for plate reading only. A phone's 12-megapixel photo is 3-5 MB;
 * the recogniser works on at most 2048 px anyway, so `POST /plates/read` gets an upright JPEG
 * of at most `READING_SIDE` px (a few hundred kB): quicker over a weak mobile connection and
 * quicker to decode on the server. The evidence upload always sends the original file.
 */

export const READING_SIDE = 2048;
const QUALITY = 0.9;

/** The size that fits within `max` on the longer side, aspect kept (never enlarged). */
export function fitWithin(width: number, height: number, max: number): { width: number; height: number; scaled: boolean } {
  const longest = Math.max(width, height);
  if (longest <= max || longest <= 0) return { width, height, scaled: false };
  const scale = max / longest;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scaled: true };
}

/**
 * The photo for reading: the original when it is already small or the browser cannot decode
 * it (HEIC in most browsers); else an upright (EXIF orientation applied) JPEG copy that fits
 * within `max` px.
 */
export async function photoForReading(file: Blob, max = READING_SIDE): Promise<Blob> {
  if (typeof createImageBitmap !== "function") return file;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return file;
  }
  try {
    const size = fitWithin(bitmap.width, bitmap.height, max);
    if (!size.scaled) return file;
    const canvas = document.createElement("canvas");
    canvas.width = size.width;
    canvas.height = size.height;
    const context = canvas.getContext("2d");
    if (!context) return file;
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, size.width, size.height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    return blob && blob.size < file.size ? blob : file;
  } catch {
    return file;
  } finally {
    bitmap.close();
  }
}
