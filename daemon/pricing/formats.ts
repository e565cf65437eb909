// The names that pricing data uses, apart from the price dataset itself (megabytes), so that
// validating an integration or running a CLI command does not load it.

/** How a model provider names the model and reports usage, in JSON answers and in streams. */
export const TOKEN_FORMATS = ['anthropic', 'openai-chat', 'openai-responses', 'gemini', 'openrouter'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/** The providers of the price dataset (@pydantic/genai-prices) that Tollgate reads. */
export const DATASET_PROVIDERS = ['anthropic', 'openai', 'openrouter', 'google'] as const;
export type DatasetProvider = (typeof DATASET_PROVIDERS)[number];

/** Where in the dataset the models of each format are priced. */
export const DATASET_OF: Record<TokenFormat, DatasetProvider> = {
  anthropic: 'anthropic', 'openai-chat': 'openai', 'openai-responses': 'openai', gemini: 'google', openrouter: 'openrouter',
};
