"""Sentence banks and company boilerplate of the demo corpus (all text written for jobtrends).

A bank entry is either a template string (it expresses exactly the area it is filed under) or a pair
(template, extra_areas) when it expresses more than one area. Templates use `{a|b|c}` for a random
alternative and `{name}` for a value of the posting's context (company, feature, n, ...).

The rule every entry follows (tests/test_demo_corpus.py lints it): a phrase asks for its own areas
and for no other area of shared/LABELING.md. Words that look like demand but are not (a cybersecurity
*company*, "social security", "conference budget", "patients") appear only in company boilerplate:
intros, benefits, equal-opportunity and fraud notices.
"""
from __future__ import annotations

# --- per-area phrases shared by every ML family ---------------------------------------------------

ML_PHRASES: dict[str, dict[str, list]] = {
    "business_acumen": {
        "resp": [
            "Translate business needs into machine learning solutions and measure their business impact",
            "Tie model improvements to revenue, retention and cost metrics",
            "Decide which use cases are worth modeling, based on expected ROI",
            "Understand customer needs well enough to know which model mistakes matter most",
        ],
        "req": [
            "Product sense: you think about the user and the business, not just the offline metric",
            "Business acumen and a track record of ML work that moved a business metric",
            "Commercial awareness: you can weigh model quality against cost to serve",
        ],
        "nice": [
            "Domain knowledge in {domain}",
            "Background in economics, finance or marketing analytics",
        ],
    },
    "communication": {
        "resp": [
            "Communicate model results and tradeoffs to stakeholders across the company",
            "Write clear design docs and technical reports about your results",
            "Turn analyses into clear visualizations and stories for non-technical audiences",
            "Present your work in company-wide reviews and demos",
        ],
        "req": [
            "{Excellent|Strong|Clear} written and verbal communication skills",
            "Ability to explain complex technical ideas to non-technical audiences",
            "A track record of clear technical writing (design docs, blog posts or papers)",
            "Strong communication skills and the habit of keeping stakeholders informed",
        ],
        "nice": [
            "Experience giving internal tech talks or writing engineering blog posts",
        ],
    },
    "math_statistics": {
        "resp": [
            "Design and analyze A/B tests for {feature}",
            "Apply statistical modeling and causal inference to measure the effect of model changes",
            "Use Bayesian methods to quantify uncertainty in {feature}",
            "Develop optimization methods that make training faster and more stable",
        ],
        "req": [
            "{Strong|Solid} foundation in statistics, probability and linear algebra",
            "Solid understanding of supervised and unsupervised learning methods",
            "A degree in mathematics, statistics, physics or another quantitative field",
            "Experience with hypothesis testing and experimental design",
            "Comfort with calculus and optimization (gradient methods, convex optimization)",
            "Working knowledge of regression, clustering and classification methods",
        ],
        "nice": [
            "Experience with Bayesian methods or probabilistic programming (PyMC, Stan)",
            "Background in time-series analysis or Markov models",
            "Graduate coursework in statistics or applied mathematics",
        ],
    },
    "creative_thinking": {
        "resp": [
            "Invent new methods for {feature} where off-the-shelf approaches fall short",
            "Prototype novel architectures and training approaches",
            "Come up with innovative ways to get more out of limited labeled data",
        ],
        "req": [
            "Creativity: you enjoy designing new methods rather than only tuning existing ones",
            "A record of inventive work in ML, in research or in products",
            "Creative, outside-the-box thinking about open-ended questions",
        ],
        "nice": [
            "Experience designing new evaluation methods for generative models",
        ],
    },
    "problem_solving": {
        "resp": [
            "Debug training instabilities and quality drops down to the root cause",
            "Troubleshoot production incidents in model serving and data pipelines",
            "Break ambiguous, complex problems into pieces the team can ship",
        ],
        "req": [
            "{Strong|Excellent} analytical and problem-solving skills",
            "Strong debugging skills across the ML stack, from data to deployment",
            "You enjoy hard problems and reason from first principles",
            "Critical thinking and a structured approach to ambiguous problems",
        ],
        "nice": [
            "Experience with root-cause analysis of production incidents",
        ],
    },
    "networking": {
        "resp": [
            "Build relationships with the research community and with academic labs",
            "Represent {company} at ML conferences and in the open-source community",
            "Build and maintain research partnerships with universities and partner labs",
            "Build relationships with partners' engineering teams as they integrate our models",
        ],
        "req": [
            "Experience building relationships with external research partners or open-source communities",
            "A professional network in the ML research community",
        ],
        "nice": [
            "Experience speaking at conferences or organizing meetups",
            "Active involvement in the open-source or research community",
        ],
    },
    "security": {
        "resp": [
            "Apply threat modeling to ML systems and their data pipelines",
            "Harden models against adversarial attacks, prompt injection and data poisoning",
            "Build privacy-preserving training pipelines (differential privacy, PII redaction)",
            "Enforce access control and audit logging for model weights and training data",
            "Make sure training data is handled in line with our data protection commitments (GDPR, HIPAA)",
        ],
        "req": [
            "Experience with data privacy and security best practices (GDPR, HIPAA)",
            "Experience with secure coding practices and security reviews",
            "Understanding of adversarial robustness and red-teaming for ML models",
            "Knowledge of privacy regulations (GDPR, HIPAA) and how they apply to training data",
            "Experience handling sensitive data under strict access controls",
        ],
        "nice": [
            "Experience with SOC 2 or ISO 27001 compliance",
            "Active security clearance or eligibility to obtain one",
            "Background in ML security, such as model extraction or membership inference attacks",
        ],
    },
    "passion": {
        "resp": [
            "Keep up with the latest research and bring promising ideas to the team",
        ],
        "req": [
            "Passion for machine learning and for keeping up with the latest research",
            "{Deep|Genuine} curiosity about how large models work",
            "A self-starter who takes ownership and moves without waiting for instructions",
            "Eagerness to learn new domains and tools quickly",
            "Genuine enthusiasm for {mission}",
        ],
        "nice": [
            "Side projects that show your curiosity about ML",
        ],
    },
    "patience": {
        "resp": [
            "Stay with long-running research bets through many rounds of iteration",
        ],
        "req": [
            "Persistence and resilience when experiments fail",
            "Patience for long, uncertain research cycles",
            "Perseverance: many ideas won't work, and you keep going",
            "Grit and dedication to see multi-quarter projects through",
            "Patience with slow feedback loops, since some training runs take weeks",
            "Tenacity when working with messy, real-world data",
        ],
        "nice": [],
    },
    "attention_to_detail": {
        "resp": [
            "Build data quality and validation checks into every training pipeline",
            "Audit datasets and labeling guidelines for errors and leakage",
            "Review evaluation results carefully before anything ships",
        ],
        "req": [
            "{Meticulous|Exceptional} attention to detail",
            "Detail-oriented, with a high bar for the accuracy of your results",
            "Rigor and care in evaluation: you check the numbers twice",
            "A thorough, detail-oriented approach to data validation",
        ],
        "nice": [],
    },
    "teamwork": {
        "resp": [
            "Collaborate with cross-functional teams across engineering, product and design",
            "Work closely with {partners} to bring models from prototype to production",
            "Mentor other engineers and scientists on the team",
            "Partner with data engineering and infrastructure teams on shared roadmaps",
        ],
        "req": [
            "A collaborative team player who shares context and credit",
            "Experience working in cross-functional teams",
            "You enjoy collaborating through code review and pairing",
        ],
        "nice": [
            "Experience mentoring junior engineers or interns",
        ],
    },
}

# --- per-area phrases any role can use (non-ML families fall back to these) -----------------------

GENERIC_PHRASES: dict[str, dict[str, list]] = {
    "business_acumen": {
        "resp": ["Translate business questions into clear plans and priorities"],
        "req": ["Strong business acumen and commercial awareness"],
        "nice": [],
    },
    "communication": {
        "resp": ["Present updates and recommendations to leadership"],
        "req": [
            "{Excellent|Strong} written and verbal communication skills",
            "Clear, concise writing and a habit of documenting how things work",
            "Comfortable presenting to groups of any size",
        ],
        "nice": [],
    },
    "creative_thinking": {
        "resp": ["Find creative ways to improve how things are done here"],
        "req": ["Creativity and an eye for novel approaches"],
        "nice": [],
    },
    "problem_solving": {
        "resp": ["Tackle ambiguous problems and break them into concrete next steps"],
        "req": [
            "{Strong|Excellent} analytical and problem-solving skills",
            "Critical thinking and a structured approach to ambiguous problems",
        ],
        "nice": [],
    },
    "networking": {
        "resp": ["Represent {company} at industry events and conferences"],
        "req": ["A strong professional network in {domain}"],
        "nice": [],
    },
    "security": {
        "resp": ["Follow our data protection policies and help keep personal data secure"],
        "req": ["Familiarity with data privacy rules (GDPR) and handling confidential information"],
        "nice": [],
    },
    "passion": {
        "resp": [],
        "req": [
            "A self-motivated self-starter who takes ownership",
            "Genuine enthusiasm for {mission}",
            "Curiosity and an eagerness to learn",
        ],
        "nice": [],
    },
    "patience": {
        "resp": [],
        "req": [
            "Patience and persistence when progress is slow",
            "Resilience and tenacity: setbacks don't slow you down for long",
        ],
        "nice": [],
    },
    "attention_to_detail": {
        "resp": [],
        "req": [
            "{Meticulous|Exceptional} attention to detail",
            "Detail-oriented, organized and thorough",
        ],
        "nice": [],
    },
    "teamwork": {
        "resp": ["Collaborate with teams across the company"],
        "req": ["A collaborative team player", "Experience working in cross-functional teams"],
        "nice": ["Experience mentoring or onboarding colleagues"],
    },
}

# --- role families ----------------------------------------------------------------------------------
# rates: probability that a posting of the family asks for the area (ML security/patience follow the
# planted trends instead, see corpus.py). summary: the "About the role" sentence, with its areas.
# phrases: family-specific banks (merged before ML_PHRASES / GENERIC_PHRASES). fillers: no-area (or
# always-present-area) bullets that pad short lists.

ML_BASE_RATES: dict[str, float] = {
    "technical": 1.0,
    "business_acumen": 0.30,
    "communication": 0.55,
    "math_statistics": 0.50,
    "creative_thinking": 0.25,
    "problem_solving": 0.45,
    "networking": 0.12,
    "passion": 0.30,
    "attention_to_detail": 0.30,
    "teamwork": 0.70,
}

FAMILIES: dict[str, dict] = {
    "ml_engineer": {
        "is_ml": True,
        "weight": 0.26,
        "department": "Engineering",
        "titles": ["Machine Learning Engineer", "Senior Machine Learning Engineer", "Staff Machine Learning Engineer",
                   "ML Engineer, {team}", "Senior ML Engineer, {team}"],
        "teams": ["Ranking", "Personalization", "Inference", "Applied ML", "Foundation Models"],
        "rates": {},
        "partners": ["researchers and product engineers", "product managers and designers", "our research team"],
        "summary": [("As {a_title}, you will design, train and ship the models behind {feature}.",
                     ("technical",))],
        "phrases": {"technical": {
            "resp": [
                "Design, train and deploy models that power {feature}",
                "Build and maintain training and evaluation pipelines in Python and PyTorch",
                "Own model serving: latency budgets, batching and GPU utilization in production",
                "Build production-grade feature pipelines on Spark and Airflow",
                "Profile and speed up training jobs across multi-GPU clusters",
            ],
            "req": [
                "{n}+ years of experience building and shipping machine learning systems",
                "Strong software engineering skills in Python (C++ or Go is a plus)",
                "Hands-on experience with PyTorch or TensorFlow",
                "Experience with cloud infrastructure (AWS or GCP), Docker and Kubernetes",
                "Solid grasp of data structures, algorithms and distributed systems",
            ],
            "nice": [
                "Experience with ranking, recommendation or retrieval systems",
                "Familiarity with Triton, ONNX Runtime or TensorRT",
                "Experience with Ray or another distributed training framework",
            ],
        }},
    },
    "data_scientist": {
        "is_ml": True,
        "weight": 0.18,
        "department": "Data Science",
        "titles": ["Data Scientist", "Senior Data Scientist", "Data Scientist, {team}", "Lead Data Scientist"],
        "teams": ["Forecasting", "Marketplace", "Growth", "Risk", "Product Analytics"],
        "rates": {"math_statistics": 0.85, "communication": 0.75, "business_acumen": 0.60, "attention_to_detail": 0.40},
        "partners": ["product managers and engineers", "our ML engineers", "the operations team"],
        "summary": [("As {a_title}, you will build the predictive models behind {feature} and own them from "
                     "exploration to production.", ("technical",))],
        "phrases": {"technical": {
            "resp": [
                "Build gradient-boosted and deep learning models in Python for {feature}",
                "Build the SQL and Python pipelines that turn raw event data into modeling datasets",
                "Ship models to production through our feature store and batch scoring jobs",
            ],
            "req": [
                "Fluency in SQL and Python (pandas, scikit-learn)",
                "{n}+ years of experience building predictive models in industry",
                "Experience with dbt, Spark or BigQuery",
            ],
            "nice": ["Experience with Airflow or Dagster", "Experience with gradient boosting libraries such as XGBoost"],
        }},
    },
    "research_scientist": {
        "is_ml": True,
        "weight": 0.12,
        "department": "Research",
        "titles": ["Research Scientist", "Research Scientist, {team}", "Senior Research Scientist",
                   "Research Engineer, {team}"],
        "teams": ["Language Models", "Pretraining", "Multimodal", "Reinforcement Learning", "Interpretability"],
        "rates": {"math_statistics": 0.80, "creative_thinking": 0.45, "networking": 0.35, "business_acumen": 0.10,
                  "communication": 0.60},
        "partners": ["research engineers", "our infrastructure team", "the applied ML team"],
        "summary": [("As {a_title}, you will train and study the models at the core of {feature}, and turn what you "
                     "learn into better systems.", ("technical",))],
        "phrases": {
            "technical": {
                "resp": [
                    "Train and study large language models, from data mixtures to architecture changes",
                    "Run large-scale pretraining and fine-tuning jobs on our GPU cluster",
                    "Turn research ideas into working code and reproducible training runs",
                ],
                "req": [
                    "PhD or equivalent research experience in machine learning, NLP or a related field",
                    "Strong Python and deep experience with PyTorch or JAX",
                    "Hands-on experience training transformer models at scale",
                ],
                "nice": ["Experience with distributed training (FSDP, DeepSpeed, Megatron)",
                         "Experience with reinforcement learning from human feedback"],
            },
            "communication": {
                "resp": ["Publish your work at venues such as NeurIPS, ICML and ACL",
                         "Write up results as internal research reports and papers"],
                "req": [], "nice": [],
            },
        },
    },
    "mlops": {
        "is_ml": True,
        "weight": 0.10,
        "department": "Engineering",
        "titles": ["MLOps Engineer", "ML Infrastructure Engineer", "Senior ML Platform Engineer",
                   "ML Platform Engineer, {team}"],
        "teams": ["Training Infrastructure", "Model Serving", "Compute"],
        "rates": {"math_statistics": 0.10, "business_acumen": 0.15, "communication": 0.40, "attention_to_detail": 0.40},
        "partners": ["researchers and ML engineers", "our SRE team", "the research team"],
        "summary": [("As {a_title}, you will build and run the platform that trains, evaluates and serves every "
                     "model behind {feature}.", ("technical",))],
        "phrases": {"technical": {
            "resp": [
                "Build and run the platform our researchers use to train, evaluate and deploy models",
                "Operate Kubernetes clusters with thousands of GPUs",
                "Automate model deployment with CI/CD, canary releases and rollbacks",
                "Build the feature store and model registry (Feast, MLflow)",
            ],
            "req": [
                "{n}+ years of experience in infrastructure, platform or DevOps engineering",
                "Strong experience with Kubernetes, Docker and Terraform",
                "Proficiency in Python or Go",
                "Experience running ML workloads on AWS, GCP or Azure",
            ],
            "nice": ["Experience with Ray, Kubeflow or Slurm", "Familiarity with GPU scheduling and NVIDIA tooling"],
        }},
    },
    "applied_scientist": {
        "is_ml": True,
        "weight": 0.09,
        "department": "Applied Science",
        "titles": ["Applied Scientist", "Senior Applied Scientist", "Applied Scientist, {team}"],
        "teams": ["Search", "Speech", "Vision", "NLP"],
        "rates": {"math_statistics": 0.75, "business_acumen": 0.45},
        "partners": ["engineers and product managers", "our data engineers", "the research team"],
        "summary": [("As {a_title}, you will take models for {feature} from first prototype to production.",
                     ("technical",))],
        "phrases": {"technical": {
            "resp": [
                "Develop models for {feature} from prototype to production",
                "Fine-tune and evaluate foundation models for domain tasks",
                "Build the offline evaluation sets and tooling for {feature}",
            ],
            "req": [
                "MS or PhD in computer science or a related field, plus industry experience building ML models",
                "Strong coding skills in Python and experience with PyTorch",
                "{n}+ years of experience applying deep learning to real products",
            ],
            "nice": ["Experience with retrieval, ranking or speech models", "Experience with model distillation"],
        }},
    },
    "ai_engineer": {
        "is_ml": True,
        "weight": 0.13,
        "department": "Engineering",
        "titles": ["AI Engineer", "Senior AI Engineer", "AI Engineer, {team}", "LLM Applications Engineer",
                   "Founding AI Engineer"],
        "teams": ["Agents", "Assistant", "Platform"],
        "rates": {"math_statistics": 0.25, "business_acumen": 0.45},
        "partners": ["designers and product managers", "our ML researchers", "the platform team"],
        "summary": [("As {a_title}, you will build LLM-powered features for {feature}, from prompt and retrieval "
                     "design to production.", ("technical",))],
        "phrases": {"technical": {
            "resp": [
                "Build LLM-powered features and agents end to end, from prompt design to production",
                "Design retrieval-augmented generation pipelines with vector search",
                "Build evaluation harnesses for LLM outputs and wire them into CI",
            ],
            "req": [
                "Strong Python or TypeScript engineering skills",
                "Experience building applications on LLM APIs and open-weight models",
                "Experience with vector databases such as pgvector, Weaviate or FAISS",
                "{n}+ years of experience shipping production software",
            ],
            "nice": ["Experience fine-tuning open-weight models with LoRA", "Familiarity with LangGraph or DSPy"],
        }},
    },
    "nlp_engineer": {
        "is_ml": True,
        "weight": 0.06,
        "department": "Engineering",
        "titles": ["NLP Engineer", "Senior NLP Engineer", "NLP Engineer, {team}"],
        "teams": ["Document Understanding", "Speech & Language", "Information Extraction"],
        "rates": {},
        "partners": ["annotators and product managers", "our applied scientists", "the platform team"],
        "summary": [("As {a_title}, you will build the language models behind {feature}.", ("technical",))],
        "phrases": {"technical": {
            "resp": [
                "Build NLP models for entity extraction, tagging and summarization",
                "Fine-tune transformer models with Hugging Face Transformers",
                "Build multilingual text pipelines, from tokenization to serving",
            ],
            "req": [
                "Experience with tokenization, embeddings and sequence models",
                "Strong Python and PyTorch skills",
                "{n}+ years of experience building NLP systems",
            ],
            "nice": ["Experience with spaCy or information extraction systems"],
        }},
    },
    "cv_engineer": {
        "is_ml": True,
        "weight": 0.06,
        "department": "Engineering",
        "titles": ["Computer Vision Engineer", "Senior Computer Vision Engineer", "Perception Engineer"],
        "teams": ["Perception", "Imagery"],
        "rates": {},
        "partners": ["the data engineering team", "our applied scientists", "the product team"],
        "summary": [("As {a_title}, you will train and ship the vision models behind {feature}.", ("technical",))],
        "phrases": {"technical": {
            "resp": [
                "Train detection and segmentation models on image and video data",
                "Optimize inference for edge devices with TensorRT",
                "Build the image preprocessing and augmentation pipeline",
            ],
            "req": [
                "Experience with OpenCV and modern CNN or vision transformer architectures",
                "Strong C++ and Python",
                "{n}+ years of experience building computer vision systems",
            ],
            "nice": ["Experience with remote sensing or geospatial data (GDAL, rasterio)"],
        }},
    },
    # --- non-ML roles at the same companies ---
    "account_exec": {
        "is_ml": False,
        "weight": 0.28,
        "department": "Sales",
        "titles": ["Account Executive, Enterprise", "Account Executive, Mid-Market", "Senior Account Executive",
                   "Strategic Account Executive"],
        "teams": ["Sales"],
        "rates": {"business_acumen": 1.0, "communication": 0.80, "networking": 0.60, "teamwork": 0.50,
                  "passion": 0.30, "problem_solving": 0.20, "attention_to_detail": 0.15, "security": 0.10,
                  "patience": 0.12, "creative_thinking": 0.10},
        "summary": [("As {a_title}, you will own the full sales cycle for accounts in {region}, from first "
                     "meeting to signed contract.", ("business_acumen",))],
        "phrases": {
            "business_acumen": {
                "resp": ["Build and execute territory plans to hit quarterly revenue targets",
                         "Run discovery to understand each buyer's workflow and business case"],
                "req": ["{n}+ years of quota-carrying SaaS sales experience",
                        "Strong commercial instincts and comfort negotiating multi-year contracts"],
                "nice": ["Experience selling to {domain} buyers"],
            },
            "networking": {
                "resp": [("Build relationships with executives and champions at target accounts", ("business_acumen",)),
                         "Develop a network of channel partners and resellers"],
                "req": [("An existing network of buyers in {domain}", ("business_acumen",))],
                "nice": [],
            },
            "communication": {
                "resp": ["Deliver clear, compelling presentations and product demos"],
                "req": [], "nice": [],
            },
            "teamwork": {
                "resp": ["Work closely with solutions engineers and the onboarding team"],
                "req": [], "nice": [],
            },
            "passion": {"resp": [], "req": ["Drive and a self-motivated, competitive approach"], "nice": []},
            "patience": {"resp": [], "req": [("Persistence through long enterprise sales cycles", ("business_acumen",))], "nice": []},
            "attention_to_detail": {"resp": [], "req": ["Meticulous about CRM hygiene and forecast accuracy"],
                                    "nice": []},
            "security": {"resp": [], "req": ["Comfort answering security reviews and data privacy questionnaires"],
                         "nice": []},
        },
        "fillers": {
            "resp": [("Manage a book of mid-market and enterprise accounts", ("business_acumen",)),
                     ("Run a weekly pipeline review and sales forecast", ("business_acumen",))],
            "req": ["Bachelor's degree or equivalent experience", "Willingness to travel up to 25% of the time"],
        },
    },
    "recruiter": {
        "is_ml": False,
        "weight": 0.17,
        "department": "People",
        "titles": ["Technical Recruiter", "Senior Technical Recruiter", "Recruiter, Research", "Recruiting Coordinator"],
        "teams": ["Recruiting"],
        "rates": {"communication": 0.80, "networking": 0.65, "teamwork": 0.70, "attention_to_detail": 0.40,
                  "passion": 0.30, "business_acumen": 0.20, "security": 0.15, "patience": 0.15,
                  "problem_solving": 0.15},
        "summary": [("As {a_title}, you will run full-cycle recruiting for our research and engineering teams, "
                     "from sourcing to close.", ())],
        "phrases": {
            "networking": {
                "resp": ["Build a network of researchers and engineers through events, referrals and the "
                         "research community"],
                "req": ["An established network in the AI research community"],
                "nice": [],
            },
            "communication": {"resp": ["Write thoughtful outreach and keep every candidate informed"],
                              "req": [], "nice": []},
            "teamwork": {"resp": ["Partner with hiring managers to define roles and interview loops"],
                         "req": [], "nice": []},
            "attention_to_detail": {"resp": [], "req": ["Detail-oriented: you keep interview notes and offer "
                                                        "letters accurate"], "nice": []},
            "passion": {"resp": [], "req": ["Genuine enthusiasm for AI and for the people who build it"], "nice": []},
            "business_acumen": {"resp": ["Use hiring data to inform headcount strategy"], "req": [], "nice": []},
            "security": {"resp": ["Handle candidate data with discretion and in line with GDPR"], "req": [],
                         "nice": []},
            "patience": {"resp": [], "req": ["Patience and persistence with long, competitive searches"], "nice": []},
        },
        "fillers": {
            "resp": ["Run structured interview loops and debriefs", "Own candidate experience from first call to offer",
                     "Source candidates on LinkedIn, GitHub and Google Scholar"],
            "req": ["{n}+ years of recruiting experience, ideally in-house", "Experience with Greenhouse or Ashby"],
        },
    },
    "paralegal": {
        "is_ml": False,
        "weight": 0.08,
        "department": "Legal",
        "titles": ["Paralegal", "Senior Paralegal", "Corporate Paralegal", "Paralegal, Commercial"],
        "teams": ["Legal"],
        "rates": {"attention_to_detail": 0.90, "communication": 0.50, "security": 0.40, "teamwork": 0.50,
                  "networking": 0.25, "business_acumen": 0.20, "patience": 0.15, "problem_solving": 0.20},
        "summary": [("As {a_title}, you will join our legal team and manage contracts, corporate records and "
                     "filings.", ())],
        "phrases": {
            "attention_to_detail": {
                "resp": ["Maintain accurate corporate records and board minutes"],
                "req": ["Exceptional attention to detail in proofreading and record-keeping"],
                "nice": [],
            },
            "security": {
                "resp": ["Run our privacy request process: GDPR data subject requests and records of processing"],
                "req": ["Experience handling confidential and privileged information"],
                "nice": [],
            },
            "networking": {"resp": ["Manage relationships with outside counsel and vendors"], "req": [], "nice": []},
            "teamwork": {"resp": ["Work closely with attorneys and colleagues across the company"], "req": [],
                         "nice": []},
            "business_acumen": {"resp": [], "req": ["Commercial awareness: you understand how contract terms "
                                                    "affect the business"], "nice": []},
        },
        "fillers": {
            "resp": ["Track contract renewals in our contract management system",
                     "Coordinate entity filings in the US and Europe", "Prepare board consents and signature packets"],
            "req": ["{n}+ years of experience as a paralegal at a law firm or in-house",
                    "Paralegal certificate or equivalent experience"],
        },
    },
    "frontend": {
        "is_ml": False,
        "weight": 0.22,
        "department": "Engineering",
        "titles": ["Frontend Engineer", "Senior Frontend Engineer", "Software Engineer, Frontend",
                   "Staff Frontend Engineer"],
        "teams": ["Web"],
        "rates": {"technical": 1.0, "teamwork": 0.70, "communication": 0.40, "problem_solving": 0.40,
                  "creative_thinking": 0.40, "attention_to_detail": 0.40, "security": 0.20, "passion": 0.30,
                  "business_acumen": 0.15, "patience": 0.05},
        "summary": [("As {a_title}, you will build the web app that brings {feature} to our users.", ("technical",))],
        "phrases": {
            "technical": {
                "resp": ["Build fast, accessible interfaces in TypeScript and React",
                         "Own our design system components and frontend build tooling",
                         "Build streaming UIs for model responses over WebSockets"],
                "req": ["{n}+ years of professional frontend experience with React and TypeScript",
                        "Solid understanding of browser performance, HTML and CSS"],
                "nice": ["Experience with Next.js or GraphQL"],
            },
            "creative_thinking": {"resp": [], "req": ["A creative approach to interaction design and prototyping"],
                                  "nice": []},
            "attention_to_detail": {"resp": [], "req": ["A detail-oriented eye for pixel-perfect UI"], "nice": []},
            "teamwork": {"resp": ["Work closely with designers and ML engineers"], "req": [], "nice": []},
            "security": {"resp": [], "req": ["Knowledge of web security (XSS, CSRF, CSP) and secure coding"],
                         "nice": []},
        },
        "fillers": {"resp": [], "req": []},
    },
    "bi_analyst": {
        "is_ml": False,
        "weight": 0.15,
        "department": "Data & Analytics",
        "titles": ["Business Intelligence Analyst", "BI Analyst", "Senior BI Analyst", "Reporting Analyst"],
        "teams": ["Analytics"],
        "rates": {"technical": 1.0, "communication": 0.70, "business_acumen": 0.70, "attention_to_detail": 0.60,
                  "teamwork": 0.50, "math_statistics": 0.20, "problem_solving": 0.30, "security": 0.15,
                  "passion": 0.15, "patience": 0.05},
        "summary": [("As {a_title}, you will own the Looker dashboards and recurring metrics that teams across "
                     "the company rely on.", ("technical",))],
        "phrases": {
            "technical": {
                "resp": ["Build and maintain dashboards in Looker and Tableau", "Build and optimize SQL models in dbt"],
                "req": ["Advanced SQL", "Experience with a BI tool such as Looker, Tableau or Mode"],
                "nice": ["Some Python for data wrangling"],
            },
            "business_acumen": {
                "resp": ["Translate business questions into metrics and dashboards"],
                "req": ["Domain knowledge of SaaS finance metrics (ARR, churn, CAC)"],
                "nice": [],
            },
            "communication": {"resp": ["Tell clear stories with data and present insights to leadership"],
                              "req": [], "nice": []},
            "attention_to_detail": {"resp": ["Build validation checks so the numbers in every dashboard are right"],
                                    "req": [], "nice": []},
            "math_statistics": {"resp": [], "req": ["Comfort with basic statistics and significance testing"],
                                "nice": []},
        },
        "fillers": {"resp": [], "req": []},
    },
    "office_manager": {
        "is_ml": False,
        "weight": 0.10,
        "department": "Workplace",
        "titles": ["Office Manager", "Workplace Coordinator", "Office Manager, {city}"],
        "teams": ["Workplace"],
        "rates": {"attention_to_detail": 0.60, "communication": 0.60, "teamwork": 0.50, "networking": 0.30,
                  "patience": 0.20, "problem_solving": 0.35, "business_acumen": 0.10, "security": 0.20,
                  "passion": 0.15},
        "summary": [("As our {title}, you will run the {city} office day to day and make it a great place to "
                     "work.", ())],
        "phrases": {
            "attention_to_detail": {"resp": [], "req": ["Detail-oriented and organized, with excellent follow-through"],
                                    "nice": []},
            "networking": {"resp": ["Manage relationships with vendors, building management and caterers"],
                           "req": [], "nice": []},
            "communication": {"resp": [], "req": ["Clear, friendly communication with everyone in the office"],
                              "nice": []},
            "teamwork": {"resp": ["Work closely with the people team on events and onboarding"], "req": [],
                         "nice": []},
            "patience": {"resp": [], "req": ["Patience and a calm attitude when plans change at the last minute"],
                         "nice": []},
            "problem_solving": {"resp": [], "req": ["A resourceful problem solver who handles surprises well"],
                                "nice": []},
            "business_acumen": {"resp": ["Own the office budget and track spend against plan"], "req": [],
                                "nice": []},
            "security": {"resp": ["Manage badge access control and visitor policies"], "req": [], "nice": []},
        },
        "fillers": {
            "resp": ["Run the front desk, mail and deliveries", "Plan team lunches and quarterly events",
                     "Order supplies and keep the kitchen stocked"],
            "req": ["{n}+ years of office management or hospitality experience"],
        },
    },
}

# No-area padding any family can use (ML families pad with technical bullets instead of resp fillers).
GENERIC_FILLERS: dict[str, list[str]] = {
    "req": ["Bachelor's degree or equivalent practical experience", "{n}+ years of relevant experience",
            "Work authorization in {country}"],
    "nice": ["Experience at an early-stage startup", "Prior experience at an AI company"],
}

# --- companies (invented) -------------------------------------------------------------------------
# Intros and conclusions are boilerplate: the demand-looking words in them are deliberate traps.

GREENHOUSE_COMPANIES: list[dict] = [
    {
        "token": "halvardlabs",
        "name": "Halvard Labs",
        "domain": "contact centers",
        "mission": "making every support conversation faster and kinder",
        "tz": "America/Los_Angeles",
        "site": "halvardlabs.example",
        "url_style": "greenhouse",
        "features": ["reply drafting", "conversation summarization", "intent routing",
                     "our assistant's retrieval layer"],
        "locations": [("San Francisco, CA", "US", "on-site"), ("New York, NY", "US", "hybrid"),
                      ("Remote - US", "US", "remote"), ("London, UK or Remote", "GB", "remote"),
                      ("Toronto, Canada", "CA", "hybrid")],
        "intro": ("Halvard Labs builds a communications platform for enterprise support teams: our AI assistant "
                  "drafts, routes and summarizes millions of customer conversations a day for banks, airlines "
                  "and retailers. We are a team of about 300, backed by leading investors."),
        "benefits": ["Competitive salary and equity", "Medical, dental and vision for you and your dependents",
                     "401(k) with a 4% match", "Annual learning and conference budget",
                     "16 weeks of paid parental leave", "Home office stipend"],
        "eeo": ("Halvard Labs is an equal opportunity employer. We welcome applicants of every race, color, "
                "religion, sex, sexual orientation, gender identity, national origin, age, disability and "
                "veteran status, and we provide reasonable accommodations throughout the hiring process."),
        "notice": ("Recruitment fraud notice: we will never ask for your Social Security number, bank details or "
                   "any payment during the interview process. Every email from us comes from @halvardlabs.example."),
    },
    {
        "token": "mirelahealth",
        "name": "Mirela Health",
        "domain": "healthcare",
        "mission": "giving clinicians their time back",
        "tz": "America/New_York",
        "site": "mirelahealth.example",
        "url_style": "own",
        "features": ["clinical note generation", "medical coding suggestions", "speech recognition for clinic visits",
                     "visit summarization"],
        "locations": [("New York, NY", "US", "hybrid"), ("Boston, MA", "US", "hybrid"), ("Remote - US", "US", "remote"),
                      ("Hybrid - New York, NY", "US", "hybrid")],
        "intro": ("Mirela Health builds clinical documentation AI. Our models listen to visits and draft notes "
                  "inside the EHR, giving clinicians back hours every week to spend with their patients. We "
                  "work with more than 200 health systems across the US."),
        "benefits": ["Fully paid medical, dental and vision", "Equity in a growing company", "Flexible paid time off",
                     "Annual conference budget", "Commuter benefits", "Mental health support through Spring Health"],
        "eeo": ("Mirela Health is proud to be an equal opportunity employer. Employment decisions are made "
                "without regard to race, color, religion, sex, sexual orientation, gender identity, national "
                "origin, age, disability, veteran status or any other characteristic protected by law."),
        "notice": ("We will never ask for your Social Security number or payment before an offer. Questions about "
                   "accommodations? Write to accommodations@mirelahealth.example."),
    },
    {
        "token": "aegisight",
        "name": "Aegisight",
        "domain": "enterprise IT",
        "mission": "making small analyst teams as effective as large ones",
        "tz": "Europe/Berlin",
        "site": "aegisight.example",
        "url_style": "greenhouse",
        "features": ["alert ranking", "anomaly detection on event logs", "sequence models over telemetry",
                     "entity resolution across data sources"],
        "locations": [("Berlin, Germany", "DE", "hybrid"), ("Munich, Germany", "DE", "on-site"),
                      ("London, UK or Remote", "GB", "remote"), ("Remote - Europe", "DE", "remote"),
                      ("Amsterdam, Netherlands", "NL", "hybrid")],
        "intro": ("Aegisight is an AI-native cybersecurity company. Our detection models help security teams "
                  "triage alerts and stop intrusions in minutes instead of days. Founded in Berlin in 2021, we "
                  "now protect more than 900 organisations across Europe."),
        "benefits": ["Competitive salary and virtual share options", "30 days of paid holiday",
                     "Public transport ticket", "Learning and conference budget of EUR 2,000 a year",
                     "Company pension scheme", "Team offsites twice a year"],
        "eeo": ("Aegisight is an equal opportunity employer and values diversity. We do not discriminate on the "
                "basis of race, religion, colour, national origin, gender, sexual orientation, age, marital "
                "status or disability."),
        "notice": ("We process your application data in line with GDPR; see our candidate privacy notice for "
                   "details on data security and retention."),
    },
]

LEVER_COMPANIES: list[dict] = [
    {
        "site": "northloom",
        "name": "Northloom",
        "domain": "developer tools",
        "mission": "making retrieval infrastructure boring and reliable",
        "tz": "America/Los_Angeles",
        "features": ["approximate nearest-neighbor search", "our embedding inference service",
                     "hybrid search ranking", "query understanding"],
        "locations": [("Seattle, WA", "US", "hybrid"), ("San Francisco, CA", "US", "hybrid"),
                      ("Remote - US", "US", "remote"), ("Remote - Canada", "CA", "remote")],
        "departments": {"Engineering": "Engineering", "Research": "Engineering", "Data Science": "Engineering",
                        "Applied Science": "Engineering", "Sales": "Go To Market", "People": "G&A",
                        "Legal": "G&A", "Data & Analytics": "G&A", "Workplace": "G&A"},
        "intro": ("Northloom makes the open-source vector database and inference platform that ML teams use to "
                  "ship retrieval and search. We're a team of passionate builders, and thousands of companies "
                  "run Northloom in production."),
        "benefits": ["Competitive salary and meaningful equity", "Premium health coverage",
                     "Annual conference and learning budget", "Flexible hours and remote-friendly culture",
                     "401(k) plan"],
        "eeo": ("Northloom is an equal opportunity employer. We are committed to building a diverse team and to "
                "providing reasonable accommodations to applicants with disabilities."),
    },
    {
        "site": "kestrelgrid",
        "name": "Kestrelgrid",
        "domain": "agriculture and insurance",
        "mission": "measuring climate risk from space",
        "tz": "America/Denver",
        "features": ["crop yield estimation from satellite imagery", "flood extent mapping",
                     "wildfire risk scoring", "field boundary detection"],
        "locations": [("Denver, CO", "US", "hybrid"), ("Austin, TX", "US", "on-site"),
                      ("Toronto, ON", "CA", "hybrid"), ("Remote - North America", "US", "remote")],
        "departments": {"Engineering": "Engineering", "Research": "Science", "Data Science": "Science",
                        "Applied Science": "Science", "Sales": "Commercial", "People": "Operations",
                        "Legal": "Operations", "Data & Analytics": "Operations", "Workplace": "Operations"},
        "intro": ("Kestrelgrid turns satellite and drone imagery into crop, flood and wildfire risk models for "
                  "insurers and farm cooperatives. We are a 120-person team, and our work helps farmers get "
                  "paid faster after a disaster."),
        "benefits": ["Competitive salary and equity", "Medical, dental and vision", "Conference budget",
                     "Flexible time off", "Paid volunteer days"],
        "eeo": ("Kestrelgrid is an equal opportunity employer. We will never ask for your social security "
                "number or bank details before an offer; report suspicious messages to "
                "security@kestrelgrid.example."),
    },
]

# Hacker News posters: invented small companies; `what` is the product, said in a neutral way.
HN_NAME_PARTS = (
    ["Arbor", "Cinder", "Delta", "Ember", "Fable", "Glacier", "Harbor", "Iris", "Juniper", "Kite", "Lattice",
     "Meridian", "Nimbus", "Onyx", "Pylon", "Quarry", "Rivet", "Sable", "Tundra", "Umber", "Vesper", "Wren",
     "Yarrow", "Zephyr", "Alder", "Basalt", "Copper", "Drift"],
    ["AI", "Labs", "Robotics", "Analytics", "Bio", "Health", "Systems", "Data", "Works", "Intelligence"],
)
HN_PRODUCTS = [  # what the company does, for whom, the industry its sales people know, {feature} values
    ("builds LLM agents that handle back-office work for", ["logistics companies", "accounting firms"], "logistics",
     ["our invoice-processing agents", "document routing"]),
    ("builds demand forecasting models for", ["grocery chains", "restaurant groups", "fashion retailers"], "retail",
     ["store-level demand forecasts", "markdown pricing"]),
    ("makes speech recognition software for", ["call centers", "courtrooms", "radio newsrooms"], "media",
     ["streaming transcription", "speaker diarization"]),
    ("builds document understanding models for", ["law firms", "mortgage lenders", "shipping companies"],
     "legal tech", ["contract clause extraction", "table parsing"]),
    ("builds fraud detection models for", ["banks", "payment processors", "online marketplaces"], "fintech",
     ["transaction scoring", "merchant risk ranking"]),
    ("designs proteins with generative models for", ["biotech companies", "pharma companies"], "life sciences",
     ["protein structure generation", "binding affinity prediction"]),
    ("builds perception software for", ["warehouse robots", "farm machinery", "delivery drones"], "robotics",
     ["3D object detection", "depth estimation"]),
    ("builds code review AI for", ["engineering teams", "open-source maintainers"], "developer tools",
     ["automated review comments", "code search"]),
    ("builds a communications platform for", ["field service teams", "construction crews"], "construction",
     ["voice note summarization", "job scheduling"]),
    ("builds recommendation engines for", ["streaming services", "online bookstores", "news publishers"], "media",
     ["personalized ranking", "cold-start recommendations"]),
    ("builds AI tutors for", ["high schools", "tutoring centers", "language learners"], "education",
     ["tutoring dialogue models", "answer grading"]),
]
HN_LOCATIONS = [
    ("San Francisco, CA", "US"), ("New York, NY", "US"), ("Remote (US)", "US"), ("Boston, MA", "US"),
    ("Seattle, WA", "US"), ("Austin, TX", "US"), ("London, UK", "GB"), ("Berlin, Germany", "DE"),
    ("Remote (EU)", "DE"), ("Toronto, Canada", "CA"), ("Amsterdam", "NL"), ("SF Bay Area", "US"),
]
HN_BENEFITS = [
    "Benefits: full health coverage, 401(k), unlimited PTO.",
    "We offer competitive salary, meaningful equity and a yearly conference budget.",
    "Perks: top-tier health insurance, a home office budget and an annual team retreat.",
    "Equity for everyone, 5 weeks of vacation, and parental leave.",
]

STORY_TEXT_HIRING = (
    "<p>Please state the location and include REMOTE for remote work, REMOTE (US) or similar if the "
    "country is restricted, and ONSITE when remote work is not an option.</p>"
    "<p>Please only post if you personally are part of the hiring company—no recruiting firms or job "
    "boards. One post per company. If it isn't a household name, explain what your company does.</p>"
    "<p>Commenters: please don't reply to job posts to complain about something. It's off topic here.</p>"
    "<p>Readers: please only email if you are personally interested in the job.</p>"
    "<p>See also the other threads of this month:</p>"
    "<p><i>Who wants to be hired?</i> {hired_url}</p>"
    "<p><i>Freelancer? Seeking freelancer?</i> {freelancer_url}</p>"
)
STORY_TEXT_HIRED = (
    "<p>Share your information if you are looking for work. Please use this format:</p>"
    "<pre><code>  Location:\n  Remote:\n  Willing to relocate:\n  Technologies:\n  Résumé/CV:\n  Email:\n"
    "</code></pre>"
    "<p>Please only post if you are personally looking for a job—no recruiters, job boards or agencies.</p>"
    "<p>Readers: please only email these addresses to discuss work opportunities.</p>"
    "<p>Companies that are hiring should post in this month's Who is hiring? thread: {hiring_url}</p>"
)
STORY_TEXT_FREELANCER = (
    "<p>Please lead with SEEKING WORK or SEEKING FREELANCER, your location, and whether remote work is a "
    "possibility.</p>"
    "<p>Full-time roles belong in this month's Who is hiring? thread instead: {hiring_url}</p>"
)
WHOISHIRING_META = [
    "<p>Reminder: top-level comments are for job posts only. Questions about a job go in a reply to that "
    "post.</p>",
    "<p>A note from the moderators: posts by recruiting agencies will be removed. One post per company, "
    "please.</p>",
]
HN_REPLIES = [
    ("Is this open to candidates based in Canada?", "Yes, we can hire in Canada through our employer of record."),
    ("Do you sponsor visas for this role?", "Not at the moment, sorry."),
    ("Is the salary range the same for remote candidates?", "Yes, same band regardless of location."),
    ("The careers link returns a 404 for me.", "Thanks, fixed now."),
    ("Any chance of part-time?", None),
]
SEEKER_TECH = ["Python, PyTorch, SQL, AWS", "TypeScript, React, Node, Postgres", "Go, Kubernetes, Terraform",
               "R, Stan, dbt, Snowflake", "C++, CUDA, ROS"]
