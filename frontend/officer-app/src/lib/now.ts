/** One shared clock that ticks every second, for every countdown on screen. */
import { onBeforeUnmount, onMounted, ref } from "vue";

export const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;

export function useNow() {
  onMounted(() => {
    users += 1;
    if (!timer) timer = setInterval(() => (now.value = Date.now()), 1000);
  });
  onBeforeUnmount(() => {
    users -= 1;
    if (users <= 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  });
  return now;
}
