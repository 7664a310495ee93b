/** The simulated iPhone (imports protocols/ only, never src/). */
export {};
