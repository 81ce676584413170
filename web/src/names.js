// Names for people: Apple's model identifiers ("Watch6,7", "iPhone14,5") become the names on the box, providers
// and data types their everyday names. Unknown identifiers keep a family name with the identifier beside it.

const range = (prefix, major, minors, name) => Object.fromEntries(minors.map((m) => [`${prefix}${major},${m}`, name]));

const MODELS = {
  ...range('Watch', 5, [1, 2, 3, 4], 'Apple Watch Series 5'),
  ...range('Watch', 5, [9, 10, 11, 12], 'Apple Watch SE'),
  ...range('Watch', 6, [1, 2, 3, 4], 'Apple Watch Series 6'),
  ...range('Watch', 6, [6, 7, 8, 9], 'Apple Watch Series 7'),
  ...range('Watch', 6, [10, 11, 12, 13], 'Apple Watch SE (2nd generation)'),
  ...range('Watch', 6, [14, 15, 16, 17], 'Apple Watch Series 8'),
  'Watch6,18': 'Apple Watch Ultra',
  ...range('Watch', 7, [1, 2, 3, 4], 'Apple Watch Series 9'),
  'Watch7,5': 'Apple Watch Ultra 2',
  ...range('Watch', 7, [8, 9, 10, 11], 'Apple Watch Series 10'),
  'iPhone12,1': 'iPhone 11', 'iPhone12,3': 'iPhone 11 Pro', 'iPhone12,5': 'iPhone 11 Pro Max',
  'iPhone12,8': 'iPhone SE (2nd generation)',
  'iPhone13,1': 'iPhone 12 mini', 'iPhone13,2': 'iPhone 12', 'iPhone13,3': 'iPhone 12 Pro', 'iPhone13,4': 'iPhone 12 Pro Max',
  'iPhone14,4': 'iPhone 13 mini', 'iPhone14,5': 'iPhone 13', 'iPhone14,2': 'iPhone 13 Pro', 'iPhone14,3': 'iPhone 13 Pro Max',
  'iPhone14,6': 'iPhone SE (3rd generation)', 'iPhone14,7': 'iPhone 14', 'iPhone14,8': 'iPhone 14 Plus',
  'iPhone15,2': 'iPhone 14 Pro', 'iPhone15,3': 'iPhone 14 Pro Max', 'iPhone15,4': 'iPhone 15', 'iPhone15,5': 'iPhone 15 Plus',
  'iPhone16,1': 'iPhone 15 Pro', 'iPhone16,2': 'iPhone 15 Pro Max', 'iPhone17,1': 'iPhone 16 Pro', 'iPhone17,2': 'iPhone 16 Pro Max',
  'iPhone17,3': 'iPhone 16', 'iPhone17,4': 'iPhone 16 Plus', 'iPhone17,5': 'iPhone 16e',
  'iPad14,1': 'iPad mini (6th generation)', 'iPad14,2': 'iPad mini (6th generation)',
};

const FAMILIES = [[/^Watch\d+,\d+$/, 'Apple Watch'], [/^iPhone\d+,\d+$/, 'iPhone'], [/^iPad\d+,\d+$/, 'iPad'], [/^iPod\d+,\d+$/, 'iPod touch']];

// modelName turns a model identifier into its product name; anything else (e.g. "Pixel 8") is already one.
export function modelName(model) {
  if (!model) return '';
  if (MODELS[model]) return MODELS[model];
  for (const [re, family] of FAMILIES) if (re.test(model)) return `${family} (${model})`;
  return model;
}

const PROVIDERS = { APPLE_HEALTH: 'Apple Health', HEALTH_CONNECT: 'Health Connect', GARMIN: 'Garmin', OURA: 'Oura', WHOOP: 'Whoop', OTHER: 'Other' };
export const providerName = (p) => PROVIDERS[p] || p || '';

// The device an Apple Health export is recorded under (importers/appleexport.DefaultDeviceID).
const EXPORT_DEVICE = 'apple-export';

// deviceName is what the sync panel calls an uploading installation: its model, never its install id.
export function deviceName(d) {
  if (d.id === EXPORT_DEVICE) return 'Apple Health export';
  if (d.model) return modelName(d.model);
  return d.provider ? `${providerName(d.provider)} device` : 'Unnamed device';
}

// sourceName names an app or device that recorded samples: its own name, with the product when it says more.
export function sourceName(s) {
  const product = modelName(s.productType || s.deviceModel || '');
  if (!product || s.name.includes(product)) return s.name;
  if (product.startsWith(s.name)) return product; // "Apple Watch" of a Watch6,7: "Apple Watch Series 7"
  return `${s.name} (${product})`;
}

const TYPES = {
  sleep: 'Sleep', workout: 'Workouts', stand_hour: 'Stand hours', mindful_session: 'Mindful minutes',
  high_heart_rate_event: 'High heart rate notifications', low_heart_rate_event: 'Low heart rate notifications',
  irregular_heart_rhythm_event: 'Irregular rhythm notifications',
};

// typeName names a sync-state data type: a metric by the catalog's display name, a category or workouts by ours.
export function typeName(dataType, metrics) {
  const m = metrics && metrics.get(dataType);
  if (m) return m.displayName;
  if (TYPES[dataType]) return TYPES[dataType];
  const words = dataType.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function activityName(t) {
  const words = t.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
